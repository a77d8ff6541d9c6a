namespace Emulator.Devices.Virtio;

/// <summary>cfg_type of a virtio vendor-specific PCI capability (virtio 1.2, section 4.1.4).</summary>
internal enum VirtioPciCapType : byte
{
    CommonCfg = 1,
    NotifyCfg = 2,
    IsrCfg = 3,
    DeviceCfg = 4,
    PciCfg = 5,
}
