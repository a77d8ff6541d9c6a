namespace Emulator.Devices.Virtio;

/// <summary>
/// The legacy (virtio 0.9.5) register block in I/O BAR0 (virtio 1.2, section 4.1.4.8). With MSI-X
/// enabled the two vector registers follow and the device configuration starts at 0x18, else at 0x14.
/// </summary>
internal enum VirtioLegacyRegister
{
    HostFeatures = 0x00,
    GuestFeatures = 0x04,
    QueuePfn = 0x08,
    QueueSize = 0x0C,
    QueueSelect = 0x0E,
    QueueNotify = 0x10,
    DeviceStatus = 0x12,
    Isr = 0x13,
    ConfigVector = 0x14,
    QueueVector = 0x16,
    DeviceConfig = 0x14,
    DeviceConfigWithMsix = 0x18,
}
