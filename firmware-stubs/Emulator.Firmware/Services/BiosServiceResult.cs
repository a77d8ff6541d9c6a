namespace Emulator.Firmware.Services;

/// <summary>
/// How a service call ended: done; waiting for hardware that raises an interrupt (the stub halts until
/// the next interrupt and calls again); or polling hardware that does not interrupt the BIOS (the stub
/// lets pending interrupts in and calls again at once).
/// </summary>
internal enum BiosServiceResult
{
    Done,
    WaitForInterrupt,
    Poll,
}
