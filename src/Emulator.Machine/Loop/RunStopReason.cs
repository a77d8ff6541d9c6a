namespace Emulator.Machine.Loop;

/// <summary>Why <see cref="PcMachine.Run"/> returned.</summary>
public enum RunStopReason
{
    /// <summary>The guest wrote isa-debug-exit, or the user quit; see <see cref="PcMachine.ExitStatus"/>.</summary>
    Exited,

    /// <summary>The instruction budget ran out.</summary>
    InstructionLimit,

    /// <summary>The condition the caller gave became true.</summary>
    Condition,

    /// <summary>The watched port was written.</summary>
    PortWritten,

    /// <summary>Nothing can happen any more without outside input: halted with interrupts off, or no timer and no I/O pending.</summary>
    Idle,

    /// <summary>The wall-clock limit passed.</summary>
    Timeout,

    /// <summary>The machine is paused and the caller asked to return on pause.</summary>
    Paused,
}
