namespace Emulator.Devices.Virtio;

/// <summary>struct virtq_desc flags (virtio 1.2, section 2.7.5).</summary>
[Flags]
internal enum VirtqDescFlags : ushort
{
    None = 0,
    Next = 1,
    Write = 2,
    Indirect = 4,
}
