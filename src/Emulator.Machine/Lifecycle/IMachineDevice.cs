namespace Emulator.Machine.Lifecycle;

/// <summary>
/// The lifecycle every chip set and device model of a <see cref="Loop.PcMachine"/> follows, the same way for all:
/// <list type="number">
/// <item><see cref="Install"/> (through <see cref="Loop.PcMachine.Install{T}"/>): the device claims its ports, PCI
/// functions, IRQ and DMA lines through the <see cref="DeviceHooks"/> it is given, which record each hook;</item>
/// <item><see cref="Reset"/> on every machine reset (QMP <c>system_reset</c>, a triple fault, the 8042, port 92h,
/// CF9h), in install order, the chip set first;</item>
/// <item><see cref="Resume"/> when the machine runs again after a pause (QMP <c>stop</c>/<c>cont</c>, or the
/// <c>stop</c> error policy's io-error): requests the policy parked are submitted again. A pause needs nothing from a
/// device: the CPU and virtual time stop together, so no device callback runs while paused;</item>
/// <item>removal (<see cref="Loop.PcMachine.Remove"/>): refused with <see cref="HotUnplugRefusal"/> once the
/// machine has started if the device cannot be hot-unplugged; otherwise <see cref="Remove"/> lets the device finish
/// (drain its requests, detach its backends, cancel its timers), then the machine undoes every hook recorded at
/// install.</item>
/// </list>
/// Attaching and detaching block backends is per model (drives by unit, a virtio disk at construction); a
/// model's <see cref="Remove"/> detaches whatever is still attached. Everything runs on the machine thread.
/// </summary>
public interface IMachineDevice
{
    /// <summary>
    /// QEMU's refusal when the device cannot be hot-unplugged from a running machine (for example
    /// "Device 'piix3-ide' does not support hotplugging"), or null when it can.
    /// </summary>
    string? HotUnplugRefusal { get; }

    /// <summary>Claims what the device needs through <paramref name="hooks"/>; called once, by <see cref="Loop.PcMachine.Install{T}"/>.</summary>
    void Install(DeviceHooks hooks);

    /// <summary>
    /// A machine reset: every guest-visible register back to its power-on value, interrupt lines lowered, parked
    /// requests dropped. QEMU's pc machine resets its devices the same way whatever the <paramref name="kind"/>.
    /// </summary>
    void Reset(ResetKind kind);

    /// <summary>The machine runs again after a pause: submit again what the <c>stop</c> error policy parked.</summary>
    void Resume();

    /// <summary>The device is being removed: finish in-flight work and let go of backends and timers. The machine then undoes the recorded hooks.</summary>
    void Remove();
}
