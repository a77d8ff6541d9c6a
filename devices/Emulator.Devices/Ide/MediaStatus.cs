namespace Emulator.Devices.Ide;

/// <summary>The media status byte of a media event descriptor (MMC-5, table 162).</summary>
internal enum MediaStatus : byte
{
    TrayClosedEmpty = 0,
    TrayOpen = 1,
    MediaPresent = 2,
}
