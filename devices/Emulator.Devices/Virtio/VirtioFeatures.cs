namespace Emulator.Devices.Virtio;

/// <summary>Device-independent feature bits (virtio 1.2, section 6 "Reserved Feature Bits").</summary>
[Flags]
internal enum VirtioFeatures : ulong
{
    None = 0,

    /// <summary>Bit 24: interrupt even with suppression on when the queue runs empty (legacy).</summary>
    NotifyOnEmpty = 1UL << 24,

    /// <summary>Bit 27: framing by byte offsets, not descriptor boundaries (legacy; implied by <see cref="Version1"/>).</summary>
    AnyLayout = 1UL << 27,

    /// <summary>
    /// The bits only the legacy interface shows: the modern interface's device_feature hides them (QEMU's
    /// VIRTIO_LEGACY_FEATURES, less BAD_FEATURE, which the legacy register adds on its own). A driver that
    /// writes them anyway is checked against what the device offers, as on QEMU.
    /// </summary>
    LegacyOnly = NotifyOnEmpty | AnyLayout,

    /// <summary>Bit 28: descriptors may point at indirect descriptor tables (2.7.5.3).</summary>
    IndirectDesc = 1UL << 28,

    /// <summary>Bit 29: used_event/avail_event notification suppression (2.7.7, 2.7.10).</summary>
    EventIdx = 1UL << 29,

    /// <summary>Bit 32: the driver speaks virtio 1.x (modern interface).</summary>
    Version1 = 1UL << 32,

    /// <summary>Bit 40: single queues can be reset through queue_reset (2.6.1).</summary>
    RingReset = 1UL << 40,
}
