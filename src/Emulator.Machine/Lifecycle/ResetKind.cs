namespace Emulator.Machine.Lifecycle;

/// <summary>Which reset a machine reset is, as <see cref="IMachineDevice.Reset"/> receives it.</summary>
public enum ResetKind
{
    /// <summary>
    /// A hard reset the host asked for (QMP and HMP <c>system_reset</c>: "performs a hard reset of a guest").
    /// The monitor's RESET event says guest false, reason host-qmp-system-reset.
    /// </summary>
    Cold,

    /// <summary>
    /// The guest pulled the reset line: the 8042's output port, port 92h bit 0, port CF9h, or a triple fault.
    /// The monitor's RESET event says guest true, reason guest-reset.
    /// </summary>
    Warm,
}
