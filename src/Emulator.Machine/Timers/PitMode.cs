namespace Emulator.Machine.Timers;

/// <summary>8254 counter modes, control word bits 3-1 (datasheet, "Operational Description").</summary>
public enum PitMode : byte
{
    InterruptOnTerminalCount = 0,
    HardwareRetriggerableOneShot = 1,
    RateGenerator = 2,
    SquareWave = 3,
    SoftwareTriggeredStrobe = 4,
    HardwareTriggeredStrobe = 5,
}
