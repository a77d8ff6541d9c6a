namespace Emulator.Machine.Timers;

/// <summary>RW field of the 8254 control word, bits 5-4 (datasheet, "Control Word Format").</summary>
public enum PitAccess : byte
{
    /// <summary>The counter latch command: the current count is frozen for the next reads.</summary>
    CounterLatch = 0,
    /// <summary>Read and write the low byte only.</summary>
    LowByte = 1,
    /// <summary>Read and write the high byte only.</summary>
    HighByte = 2,
    /// <summary>The low byte, then the high byte.</summary>
    LowThenHigh = 3,
}
