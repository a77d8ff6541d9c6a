namespace Emulator.Machine.Timers;

/// <summary>Fields of the 8254 control word written to port 0x43 (datasheet, "Control Word Format" and "Read-Back Command").</summary>
[Flags]
internal enum PitControlWord : byte
{
    None = 0,
    Bcd = 0x01,
    ModeMask = 0x0E,
    AccessMask = 0x30,
    SelectMask = 0xC0,

    /// <summary>SC = 11: the read-back command.</summary>
    ReadBack = 0xC0,

    /// <summary>Read-back: bit 5 clear latches the counts of the selected counters.</summary>
    ReadBackNoCount = 0x20,

    /// <summary>Read-back: bit 4 clear latches their status.</summary>
    ReadBackNoStatus = 0x10,

    /// <summary>Read-back: counter select bits 1-3 for counters 0-2.</summary>
    ReadBackCountersMask = 0x0E,
}
