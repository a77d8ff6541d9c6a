namespace Emulator.Firmware.Services;

/// <summary>How a service call ended: done, or waiting for hardware (the stub halts until the next interrupt and calls again).</summary>
public enum BiosServiceResult
{
    Done,
    WaitForInterrupt,
}
