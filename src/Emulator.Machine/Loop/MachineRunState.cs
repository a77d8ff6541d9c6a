namespace Emulator.Machine.Loop;

/// <summary>The machine's run state (QEMU's RunState values that apply here).</summary>
public enum MachineRunState
{
    /// <summary>Built, not started; or started under -S, or reset while not running, and not yet continued.</summary>
    Prelaunch,
    /// <summary>Executing guest code (or waiting in the loop for an interrupt or I/O).</summary>
    Running,

    /// <summary>Paused by the user (QMP stop).</summary>
    Paused,

    /// <summary>Paused by a block error policy (werror/rerror=stop).</summary>
    IoError,

    /// <summary>The guest asked to exit (isa-debug-exit) or the user quit.</summary>
    Shutdown,

    /// <summary>
    /// The guest powered off under -no-shutdown (QEMU's "shutdown" state with the VM stopped): nothing runs
    /// until a system reset, which leads to <see cref="Prelaunch"/>.
    /// </summary>
    GuestShutdown,
}
