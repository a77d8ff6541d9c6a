namespace Emulator.Devices.Virtio;

/// <summary>The device status field (virtio 1.2, section 2.1). Writing 0 resets the device.</summary>
[Flags]
internal enum VirtioDeviceStatus : byte
{
    None = 0,
    Acknowledge = 1,
    Driver = 2,
    DriverOk = 4,
    FeaturesOk = 8,

    /// <summary>The device hit an error it cannot recover from without a reset (a malformed queue).</summary>
    NeedsReset = 0x40,
    Failed = 0x80,
}
