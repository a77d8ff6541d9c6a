namespace Emulator.Devices.Tests.Virtio;

/// <summary>Numbers from the virtio 1.2 and PCI 3.0 specifications, written out by the test side.</summary>
internal static class VirtioSpec
{
    // PCI configuration space (PCI 3.0, 6.1).
    public const int PciVendor = 0x00;
    public const int PciDevice = 0x02;
    public const int PciCommand = 0x04;
    public const int PciStatus = 0x06;
    public const int PciClass = 0x08;
    public const int PciBar0 = 0x10;
    public const int PciSubsystemVendor = 0x2C;
    public const int PciSubsystem = 0x2E;
    public const int PciCapPointer = 0x34;
    public const int PciInterruptPin = 0x3D;
    public const ushort CommandIo = 0x1;
    public const ushort CommandMemory = 0x2;
    public const ushort CommandBusMaster = 0x4;
    public const ushort StatusCapList = 0x10;
    public const byte CapVendor = 0x09;
    public const byte CapMsix = 0x11;

    // Virtio PCI IDs (virtio 1.2, 4.1.2).
    public const ushort VirtioVendor = 0x1AF4;
    public const ushort TransitionalBlock = 0x1001;
    public const ushort BlockType = 2;

    // virtio_pci_cap cfg_type (4.1.4).
    public const byte CommonCfg = 1;
    public const byte NotifyCfg = 2;
    public const byte IsrCfg = 3;
    public const byte DeviceCfg = 4;
    public const byte PciCfg = 5;

    // Legacy I/O registers (4.1.4.8).
    public const int LegacyHostFeatures = 0x00;
    public const int LegacyGuestFeatures = 0x04;
    public const int LegacyQueuePfn = 0x08;
    public const int LegacyQueueSize = 0x0C;
    public const int LegacyQueueSelect = 0x0E;
    public const int LegacyQueueNotify = 0x10;
    public const int LegacyStatus = 0x12;
    public const int LegacyIsr = 0x13;
    public const int LegacyConfigVector = 0x14;
    public const int LegacyQueueVector = 0x16;
    public const int LegacyConfig = 0x14;
    public const int LegacyConfigMsix = 0x18;

    // virtio_pci_common_cfg (4.1.4.3).
    public const int DeviceFeatureSelect = 0x00;
    public const int DeviceFeature = 0x04;
    public const int DriverFeatureSelect = 0x08;
    public const int DriverFeature = 0x0C;
    public const int ConfigMsixVector = 0x10;
    public const int NumQueues = 0x12;
    public const int DeviceStatus = 0x14;
    public const int ConfigGeneration = 0x15;
    public const int QueueSelect = 0x16;
    public const int QueueSize = 0x18;
    public const int QueueMsixVector = 0x1A;
    public const int QueueEnable = 0x1C;
    public const int QueueNotifyOff = 0x1E;
    public const int QueueDesc = 0x20;
    public const int QueueDriver = 0x28;
    public const int QueueDevice = 0x30;
    public const int QueueReset = 0x3A;
    public const ushort NoVector = 0xFFFF;

    // Device status (2.1).
    public const byte Acknowledge = 1;
    public const byte Driver = 2;
    public const byte DriverOk = 4;
    public const byte FeaturesOk = 8;
    public const byte NeedsReset = 0x40;

    // Feature bits.
    public const int FeatureSegMax = 2;
    public const int FeatureGeometry = 4;
    public const int FeatureRo = 5;
    public const int FeatureBlkSize = 6;
    public const int FeatureFlush = 9;
    public const int FeatureTopology = 10;
    public const int FeatureConfigWce = 11;
    public const int FeatureMq = 12;
    public const int FeatureDiscard = 13;
    public const int FeatureWriteZeroes = 14;
    public const int FeatureIndirect = 28;
    public const int FeatureEventIdx = 29;
    public const int FeatureVersion1 = 32;
    public const int FeatureRingReset = 40;

    // Split ring (2.7).
    public const ushort DescNext = 1;
    public const ushort DescWrite = 2;
    public const ushort DescIndirect = 4;
    public const ushort AvailNoInterrupt = 1;
    public const int LegacyAlign = 4096;

    // virtio-blk (5.2).
    public const uint TypeIn = 0;
    public const uint TypeOut = 1;
    public const uint TypeFlush = 4;
    public const uint TypeGetId = 8;
    public const uint TypeGetLifetime = 10;
    public const uint TypeDiscard = 11;
    public const uint TypeWriteZeroes = 13;
    public const byte StatusOk = 0;
    public const byte StatusIoErr = 1;
    public const byte StatusUnsupp = 2;
    public const uint WriteZeroesUnmap = 1;
    public const int ConfigCapacity = 0;
    public const int ConfigSegMax = 12;
    public const int ConfigBlkSize = 20;
    public const int ConfigWriteback = 32;
    public const int ConfigNumQueues = 34;
    public const int ConfigMaxDiscardSeg = 40;
    public const int Sector = 512;

    // MSI-X (PCI 3.0, 6.8.2).
    public const ushort MsixEnable = 0x8000;
    public const ushort MsixFunctionMask = 0x4000;
    public const int MsixEntrySize = 16;
}
