namespace Emulator.Devices.Virtio;

/// <summary>The properties of a virtio-blk-pci device (QEMU's <c>-device virtio-blk-pci,…</c>).</summary>
public sealed record VirtioBlkOptions
{
    /// <summary>The PCI slot (device number) the function is placed at (<c>addr=</c>); 3 by default, the first slot after QEMU pc's display.</summary>
    public int PciSlot { get; init; } = 3;

    /// <summary>The PCI function number within <see cref="PciSlot"/> (<c>addr=S.F</c>); 0 by default.</summary>
    public int PciFunctionNumber { get; init; }

    /// <summary>The QOM id (<c>id=</c>), used for the backend's device name and BLOCK_IO_ERROR.</summary>
    public string DeviceId { get; init; } = "virtio-disk0";

    /// <summary>The QOM path; defaults to <see cref="DeviceId"/>.</summary>
    public string? QomPath { get; init; }

    /// <summary>The serial GET_ID returns (at most 20 bytes are visible).</summary>
    public string Serial { get; init; } = string.Empty;

    /// <summary>num-queues; more than one offers VIRTIO_BLK_F_MQ.</summary>
    public int NumQueues { get; init; } = 1;

    /// <summary>queue-size: a power of two, 4..1024 (QEMU's default 256).</summary>
    public ushort QueueSize { get; init; } = 256;

    /// <summary>MSI-X vectors (vectors=); null for QEMU's default num-queues + 1, 0 for no MSI-X (INTx only).</summary>
    public int? MsixVectors { get; init; }

    /// <summary>config-wce: offer VIRTIO_BLK_F_CONFIG_WCE (guest-writable writeback byte).</summary>
    public bool ConfigWce { get; init; } = true;

    /// <summary>request-merging.</summary>
    public bool RequestMerging { get; init; } = true;

    /// <summary>discard: offer VIRTIO_BLK_F_DISCARD (the guest's DISCARD requests reach the backend as discards).</summary>
    public bool Discard { get; init; } = true;

    /// <summary>write-zeroes: offer VIRTIO_BLK_F_WRITE_ZEROES.</summary>
    public bool WriteZeroes { get; init; } = true;

    /// <summary>max-discard-sectors and max-write-zeroes-sectors (QEMU's default: the largest request, 0x3FFFFF).</summary>
    public uint MaxDiscardSectors { get; init; } = 0x3F_FFFF;

    /// <summary>max-write-zeroes-sectors: the largest WRITE ZEROES request in 512-byte sectors the configuration space advertises.</summary>
    public uint MaxWriteZeroesSectors { get; init; } = 0x3F_FFFF;

    /// <summary>CHS geometry; 0 guesses 16 heads and 63 sectors.</summary>
    public ushort Cylinders { get; init; }

    /// <summary>CHS heads of the configuration space's geometry; 0 for 16.</summary>
    public byte Heads { get; init; }

    /// <summary>CHS sectors per track of the configuration space's geometry; 0 for 63.</summary>
    public byte Sectors { get; init; }
}
