namespace Emulator.Devices.Ide;

/// <summary>Media event codes of GET EVENT STATUS NOTIFICATION (MMC-5, table 161).</summary>
internal enum MediaEventCode : byte
{
    NoChange = 0,
    EjectRequest = 1,
    NewMedia = 2,
}
