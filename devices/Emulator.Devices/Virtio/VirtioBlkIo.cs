using System.Numerics;
using Emulator.Block.Backend;
using Emulator.Block.Memory;

namespace Emulator.Devices.Virtio;

/// <summary>
/// One backend operation of a virtio-blk device: a reusable <see cref="BlockRequest"/>, a bounce
/// buffer kept between uses (reallocated only when a larger request comes), and the
/// virtio requests it serves (several after merging). Pooled by the device.
/// </summary>
internal sealed class VirtioBlkIo
{
    private AlignedBuffer? _buffer;

    public VirtioBlkIo(IBlockCompletionHandler handler)
    {
        Request = new BlockRequest(handler, this);
    }

    public BlockRequest Request { get; }

    /// <summary>The first request served; the rest follow through <see cref="VirtioBlkRequest.Next"/>.</summary>
    public VirtioBlkRequest? First { get; set; }

    public int Members { get; set; }

    /// <summary>Device generation at submission: a device reset since makes the completion stale.</summary>
    public int DeviceGeneration { get; set; }

    /// <summary>Guest address of the data when the operation transfers straight to or from guest RAM (no bounce buffer), else null.</summary>
    public ulong? DirectAddress { get; set; }

    /// <summary>Bytes of bounce buffer this operation holds (0 when none).</summary>
    public int Capacity => _buffer?.Length ?? 0;

    /// <summary>Frees the held buffer for good (too large to keep around idle).</summary>
    public void DropBuffer()
    {
        if (_buffer is not null)
        {
            ((IDisposable)_buffer).Dispose();
            _buffer = null;
        }
    }

    /// <summary>A buffer of exactly <paramref name="length"/> bytes, reusing the one held when it is large enough.</summary>
    public Memory<byte> Buffer(int length)
    {
        if (_buffer is null || _buffer.Length < length)
        {
            // Grown in powers of two, so a steady stream of one size allocates once; the old buffer is freed, not pooled.
            DropBuffer();
            _buffer = new AlignedBuffer((int)BitOperations.RoundUpToPowerOf2((uint)length));
        }

        return _buffer.Memory[..length];
    }
}
