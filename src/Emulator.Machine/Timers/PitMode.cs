namespace Emulator.Machine.Timers;

/// <summary>8254 counter modes, control word bits 3-1 (datasheet, "Operational Description").</summary>
public enum PitMode : byte
{
    /// <summary>Mode 0: OUT goes high when the count reaches zero and stays there.</summary>
    InterruptOnTerminalCount = 0,
    /// <summary>Mode 1: a rising gate starts a low pulse of count ticks.</summary>
    HardwareRetriggerableOneShot = 1,
    /// <summary>Mode 2: OUT pulses low for one tick every count ticks (the periodic timer interrupt).</summary>
    RateGenerator = 2,
    /// <summary>Mode 3: OUT is a square wave of period count ticks.</summary>
    SquareWave = 3,
    /// <summary>Mode 4: one low pulse of one tick when the count reaches zero after it was written.</summary>
    SoftwareTriggeredStrobe = 4,
    /// <summary>Mode 5: one low pulse of one tick when the count reaches zero after a rising gate.</summary>
    HardwareTriggeredStrobe = 5,
}
