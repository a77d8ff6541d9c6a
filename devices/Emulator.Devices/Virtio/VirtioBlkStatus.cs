namespace Emulator.Devices.Virtio;

/// <summary>The status byte a virtio-blk request ends with (virtio 1.2, section 5.2.6).</summary>
internal enum VirtioBlkStatus : byte
{
    Ok = 0,
    IoErr = 1,
    Unsupp = 2,
}
