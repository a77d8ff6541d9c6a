namespace Emulator.Devices.Ide;

/// <summary>Media event codes of GET EVENT STATUS NOTIFICATION (MMC-5, table 161).</summary>
public enum MediaEventCode : byte
{
    NoChange = 0,
    EjectRequest = 1,
    NewMedia = 2,
}
