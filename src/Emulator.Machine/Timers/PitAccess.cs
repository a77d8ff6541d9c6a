namespace Emulator.Machine.Timers;

/// <summary>RW field of the 8254 control word, bits 5-4 (datasheet, "Control Word Format").</summary>
public enum PitAccess : byte
{
    CounterLatch = 0,
    LowByte = 1,
    HighByte = 2,
    LowThenHigh = 3,
}
