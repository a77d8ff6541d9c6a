using Emulator.Block.Backend;
using Emulator.Block.Memory;

namespace Emulator.Cli.Img;

/// <summary>
/// Reads the source of <c>emu img convert</c> ahead of the copy: up to <c>depth</c> chunk reads are in flight
/// at once (qemu-img convert's coroutines, <c>-m</c>, 8 by default), handed out in order. For a local file
/// this changes little; for a network source (<c>nbd://</c>) it keeps the server busy while the copy
/// writes, and the thread that waits for a chunk reads the replies itself (it polls through the block
/// layer's completion queue instead of blocking on one request).
/// </summary>
internal sealed class ImgConvertReader : IBlockCompletionHandler, IDisposable
{
    private readonly BlockLayer _layer;
    private readonly BlockBackend _source;
    private readonly int _chunk;
    private readonly long _size;
    private readonly BlockRequest[] _slots;
    private readonly AlignedBuffer[] _buffers;
    private readonly bool[] _done;
    private long _nextRead;
    private int _oldest;

    public ImgConvertReader(BlockLayer layer, BlockBackend source, int chunk, int depth)
    {
        _layer = layer;
        _source = source;
        _chunk = chunk;
        _size = source.Length;
        var slots = (int)Math.Clamp((_size + chunk - 1) / chunk, 1, depth);
        _slots = new BlockRequest[slots];
        _buffers = new AlignedBuffer[slots];
        _done = new bool[slots];
        for (var i = 0; i < slots; i++)
        {
            _buffers[i] = AlignedBufferPool.Shared.Rent(chunk);
            _slots[i] = new BlockRequest(this, i);
            SubmitInto(i);
        }
    }

    /// <summary>Waits for the next chunk in order: its offset, data (valid until <see cref="Advance"/>) and read result.</summary>
    public BlockError Next(out long offset, out Memory<byte> data)
    {
        var request = _slots[_oldest];
        while (!_done[_oldest])
        {
            if (_layer.Completions.RunPending() == 0)
            {
                _layer.Completions.WaitForPending(TimeSpan.FromMilliseconds(100));
            }
        }

        offset = request.Offset;
        data = request.Buffer;
        return request.Error;
    }

    /// <summary>The chunk from <see cref="Next"/> has been used: its buffer takes the next read.</summary>
    public void Advance()
    {
        SubmitInto(_oldest);
        _oldest = (_oldest + 1) % _slots.Length;
    }

    public void OnBlockRequestCompleted(BlockRequest request) => _done[(int)request.Tag!] = true;

    /// <summary>Waits for the reads still in flight (a copy that stopped early) and returns the buffers.</summary>
    public void Dispose()
    {
        while (_source.InFlight > 0)
        {
            if (_layer.Completions.RunPending() == 0)
            {
                _layer.Completions.WaitForPending(TimeSpan.FromMilliseconds(100));
            }
        }

        foreach (var buffer in _buffers)
        {
            AlignedBufferPool.Shared.Return(buffer);
        }
    }

    private void SubmitInto(int slot)
    {
        _done[slot] = false;
        if (_nextRead >= _size)
        {
            return;
        }

        var length = (int)Math.Min(_chunk, _size - _nextRead);
        _slots[slot].PrepareRead(_nextRead, _buffers[slot].Memory[..length]);
        _nextRead += length;
        _source.Submit(_slots[slot]);
    }
}
