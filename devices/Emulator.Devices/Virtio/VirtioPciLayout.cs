namespace Emulator.Devices.Virtio;

/// <summary>
/// Where a virtio-pci function puts its registers, following QEMU's transitional layout on a PC:
/// BAR0 the legacy I/O block, BAR1 the MSI-X table and pending bits, BAR4 the modern regions
/// (common, ISR, device configuration and notify, one 4 KiB page each; virtio 1.2, 4.1.4).
/// QEMU makes BAR4 a 64-bit prefetchable BAR; here it is 32-bit because the machine's PCI model has
/// no 64-bit BARs yet (drivers find it through the capabilities, so they do not care).
/// </summary>
internal static class VirtioPciLayout
{
    public const ushort VendorId = 0x1AF4;
    public const ushort SubsystemVendorId = 0x1AF4;

    public const int LegacyBar = 0;
    public const int MsixBar = 1;
    public const int ModernBar = 4;

    public const uint MsixBarSize = 0x1000;
    public const int MsixTableOffset = 0x000;
    public const int MsixPbaOffset = 0x800;

    public const uint ModernBarSize = 0x4000;
    public const int CommonOffset = 0x0000;
    public const int IsrOffset = 0x1000;
    public const int DeviceOffset = 0x2000;
    public const int NotifyOffset = 0x3000;
    public const int RegionSize = 0x1000;

    /// <summary>notify_off_multiplier: queue n is notified by a write at NotifyOffset + 4n.</summary>
    public const uint NotifyOffMultiplier = 4;

    /// <summary>PCI capability IDs (PCI 3.0 appendix H): vendor-specific and MSI-X.</summary>
    public const byte VendorCapabilityId = 0x09;
    public const byte MsixCapabilityId = 0x11;

    /// <summary>struct virtio_pci_cap (16 bytes) and virtio_pci_notify_cap (20 bytes).</summary>
    public const int VirtioCapLength = 16;
    public const int NotifyCapLength = 20;
    public const int CapLenField = 2;
    public const int CapTypeField = 3;
    public const int CapBarField = 4;
    public const int CapOffsetField = 8;
    public const int CapLengthField = 12;
    public const int CapMultiplierField = 16;

    /// <summary>struct virtio_pci_cfg_cap: the virtio_pci_cap header plus a 4-byte data window at +16 (4.1.4.9).</summary>
    public const int PciCfgCapLength = 20;
    public const int CapDataField = 16;

    /// <summary>MSI-X capability: message control at +2 (table size - 1 in bits 10-0, function mask bit 14, enable bit 15), table and PBA offset/BIR at +4 and +8.</summary>
    public const int MsixCapLength = 12;
    public const int MsixControlField = 2;
    public const int MsixTableField = 4;
    public const int MsixPbaField = 8;
    public const byte MsixControlHighWritable = 0xC0;
    public const byte MsixEnableBit = 0x80;
    public const byte MsixFunctionMaskBit = 0x40;
}
