namespace Emulator.Devices.Virtio;

/// <summary>virtio_blk_req.type (virtio 1.2, section 5.2.6). Bit 31 is the legacy BARRIER flag, ignored.</summary>
internal enum VirtioBlkRequestType : uint
{
    In = 0,
    Out = 1,
    Flush = 4,
    GetId = 8,
    GetLifetime = 10,
    Discard = 11,
    WriteZeroes = 13,
    SecureErase = 14,

    /// <summary>VIRTIO_BLK_T_BARRIER.</summary>
    Barrier = 0x8000_0000,
}
