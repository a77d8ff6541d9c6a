namespace Emulator.Devices.Floppy;

/// <summary>What a data command does with the sectors it walks over.</summary>
internal enum FdcTransferDirection : byte
{
    None,
    Read,
    Write,
    Verify,
    ScanEqual,
    ScanLowOrEqual,
    ScanHighOrEqual,
    Format,
}
