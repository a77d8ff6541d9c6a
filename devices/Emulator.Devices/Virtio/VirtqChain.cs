using Emulator.Machine.Memory;

namespace Emulator.Devices.Virtio;

/// <summary>
/// One descriptor chain popped from a queue: its head index and its buffers in order, the
/// device-readable ones first. Requests are framed by byte offsets over the readable and the
/// writable parts (ANY_LAYOUT; virtio 1.2, 2.6.4), so <see cref="Gather"/> and
/// <see cref="Scatter"/> copy across buffer boundaries. The arrays grow on demand and are reused,
/// so a steady stream of requests allocates nothing.
/// </summary>
internal sealed class VirtqChain
{
    private const int InitialCapacity = 8;

    private ulong[] _address = new ulong[InitialCapacity];
    private uint[] _length = new uint[InitialCapacity];

    public ushort Head { get; private set; }

    public int Count { get; private set; }

    /// <summary>Index of the first device-writable buffer (= <see cref="Count"/> when there is none).</summary>
    public int FirstWritable { get; private set; }

    public long ReadableBytes { get; private set; }

    public long WritableBytes { get; private set; }

    public void Clear(ushort head)
    {
        Head = head;
        Count = 0;
        FirstWritable = 0;
        ReadableBytes = 0;
        WritableBytes = 0;
    }

    public void Add(ulong address, uint length, bool writable)
    {
        if (Count == _address.Length)
        {
            Array.Resize(ref _address, Count * 2);
            Array.Resize(ref _length, Count * 2);
        }

        _address[Count] = address;
        _length[Count] = length;
        Count++;
        if (writable)
        {
            WritableBytes += length;
        }
        else
        {
            ReadableBytes += length;
            FirstWritable = Count;
        }
    }

    /// <summary>Guest address of the last byte of the last writable buffer: where the status byte goes.</summary>
    public ulong LastWritableByte => _address[Count - 1] + _length[Count - 1] - 1;

    /// <summary>Length of the last buffer (0 when the chain is empty).</summary>
    public uint LastLength => Count == 0 ? 0 : _length[Count - 1];

    /// <summary>
    /// The guest address of <paramref name="length"/> bytes at byte offset <paramref name="offset"/>
    /// of the readable (or writable) part, when they lie inside one buffer.
    /// </summary>
    public bool TryGetContiguous(bool writable, long offset, int length, out ulong address)
    {
        var first = writable ? FirstWritable : 0;
        var end = writable ? Count : FirstWritable;
        for (var i = first; i < end; i++)
        {
            long segment = _length[i];
            if (offset < segment)
            {
                address = _address[i] + (ulong)offset;
                return length <= segment - offset;
            }

            offset -= segment;
        }

        address = 0;
        return false;
    }

    /// <summary>Copies readable bytes from byte offset <paramref name="offset"/> into <paramref name="destination"/>.</summary>
    public bool Gather(IDmaMemory memory, long offset, Span<byte> destination) =>
        Copy(memory, 0, FirstWritable, offset, destination, default, toGuest: false);

    /// <summary>Copies <paramref name="source"/> into the writable bytes from byte offset <paramref name="offset"/>.</summary>
    public bool Scatter(IDmaMemory memory, long offset, ReadOnlySpan<byte> source) =>
        Copy(memory, FirstWritable, Count, offset, default, source, toGuest: true);

    private bool Copy(IDmaMemory memory, int first, int end, long offset, Span<byte> destination, ReadOnlySpan<byte> source, bool toGuest)
    {
        var remaining = toGuest ? source.Length : destination.Length;
        var done = 0;
        for (var i = first; i < end && remaining > 0; i++)
        {
            long length = _length[i];
            if (offset >= length)
            {
                offset -= length;
                continue;
            }

            var chunk = (int)Math.Min(length - offset, remaining);
            var address = _address[i] + (ulong)offset;
            var ok = toGuest
                ? memory.TryWrite(address, source.Slice(done, chunk))
                : memory.TryRead(address, destination.Slice(done, chunk));
            if (!ok)
            {
                return false;
            }

            done += chunk;
            remaining -= chunk;
            offset = 0;
        }

        return remaining == 0;
    }
}
