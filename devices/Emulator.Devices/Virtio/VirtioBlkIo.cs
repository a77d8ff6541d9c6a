using Emulator.Block.Backend;
using Emulator.Block.Memory;

namespace Emulator.Devices.Virtio;

/// <summary>
/// One backend operation of a virtio-blk device: a reusable <see cref="BlockRequest"/>, a bounce
/// buffer kept between uses (grown from the shared pool only when a larger request comes), and the
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

    /// <summary>A buffer of exactly <paramref name="length"/> bytes, reusing the one held when it is large enough.</summary>
    public Memory<byte> Buffer(int length)
    {
        if (_buffer is null || _buffer.Length < length)
        {
            if (_buffer is not null)
            {
                AlignedBufferPool.Shared.Return(_buffer);
            }

            _buffer = AlignedBufferPool.Shared.Rent(length);
        }

        return _buffer.Memory[..length];
    }
}
