namespace Emulator.Firmware.Services;

/// <summary>What the machine builder tells the firmware.</summary>
public sealed record FirmwareOptions
{
    /// <summary>The fw_cfg file the firmware boots when no disk boots (the embedded demo guest uses it).</summary>
    public const string BootSectorFile = "opt/org.emulator-storage/boot-sector";

    /// <summary>Banner printed by POST on the first line.</summary>
    public string Banner { get; init; } = "Emulator.Storage BIOS";
}
