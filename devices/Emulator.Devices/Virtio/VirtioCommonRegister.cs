namespace Emulator.Devices.Virtio;

/// <summary>struct virtio_pci_common_cfg field offsets (virtio 1.2, section 4.1.4.3).</summary>
internal enum VirtioCommonRegister
{
    DeviceFeatureSelect = 0x00,
    DeviceFeature = 0x04,
    DriverFeatureSelect = 0x08,
    DriverFeature = 0x0C,
    ConfigMsixVector = 0x10,
    NumQueues = 0x12,
    DeviceStatus = 0x14,
    ConfigGeneration = 0x15,
    QueueSelect = 0x16,
    QueueSize = 0x18,
    QueueMsixVector = 0x1A,
    QueueEnable = 0x1C,
    QueueNotifyOff = 0x1E,
    QueueDesc = 0x20,
    QueueDescHigh = 0x24,
    QueueDriver = 0x28,
    QueueDriverHigh = 0x2C,
    QueueDevice = 0x30,
    QueueDeviceHigh = 0x34,
    QueueNotifyData = 0x38,
    QueueReset = 0x3A,

    /// <summary>Size of the structure.</summary>
    End = 0x3C,
}
