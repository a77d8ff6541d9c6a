using Emulator.Block.Backend;
using Emulator.Block.Memory;

namespace Emulator.Cli.Img;

/// <summary>
/// Keeps <see cref="ImgBenchOptions.Depth"/> requests in flight on a backend, as qemu-img bench does:
/// each completion submits the next request at the next offset (wrapping before the end of the
/// image), with a flush every <see cref="ImgBenchOptions.FlushInterval"/> requests. The calling
/// thread plays the machine loop and runs the completions.
/// </summary>
internal sealed class ImgBenchRunner : IBlockCompletionHandler
{
    private readonly BlockBackend _backend;
    private readonly BlockLayer _layer;
    private readonly ImgBenchOptions _options;
    private readonly long _step;
    private readonly AlignedBuffer[] _buffers;
    private readonly BlockRequest _flush;
    private long _offset;
    private int _submitted;
    private int _completed;
    private int _inFlight;
    private bool _flushing;

    public ImgBenchRunner(BlockLayer layer, BlockBackend backend, ImgBenchOptions options)
    {
        _layer = layer;
        _backend = backend;
        _options = options;
        _step = options.Step == 0 ? options.BufferSize : options.Step;
        _offset = options.Offset;
        _buffers = new AlignedBuffer[options.Depth];
        _flush = new BlockRequest(this);
        for (var i = 0; i < _buffers.Length; i++)
        {
            _buffers[i] = AlignedBufferPool.Shared.Rent(options.BufferSize);
            _buffers[i].Span.Fill(options.Pattern);
        }
    }

    public BlockError Error { get; private set; }

    /// <summary>Runs every request; returns the first error (the run stops submitting at it).</summary>
    public BlockError Run()
    {
        for (var i = 0; i < _buffers.Length && _submitted < _options.Count; i++)
        {
            SubmitNext(new BlockRequest(this, _buffers[i]));
        }

        while (_inFlight > 0)
        {
            if (_layer.Completions.RunPending() == 0)
            {
                _layer.Completions.WaitForPending(TimeSpan.FromMilliseconds(100));
            }
        }

        if (Error == BlockError.None && _options.Drain && _options.Write)
        {
            Error = _backend.Flush();
        }

        foreach (var buffer in _buffers)
        {
            AlignedBufferPool.Shared.Return(buffer);
        }

        return Error;
    }

    public void OnBlockRequestCompleted(BlockRequest request)
    {
        _inFlight--;
        if (request.Error != BlockError.None && Error == BlockError.None)
        {
            Error = request.Error;
        }

        if (request == _flush)
        {
            _flushing = false;
            return;
        }

        _completed++;
        if (Error != BlockError.None || _submitted >= _options.Count)
        {
            return;
        }

        if (_options.FlushInterval > 0 && _completed % _options.FlushInterval == 0 && !_flushing)
        {
            _flushing = true;
            _flush.PrepareFlush();
            _inFlight++;
            _backend.Submit(_flush);
        }

        SubmitNext(request);
    }

    private void SubmitNext(BlockRequest request)
    {
        var buffer = ((AlignedBuffer)request.Tag!).Memory[.._options.BufferSize];
        if (_options.Write)
        {
            request.PrepareWrite(_offset, buffer);
        }
        else
        {
            request.PrepareRead(_offset, buffer);
        }

        _submitted++;
        _inFlight++;
        var size = _backend.Length;
        _offset += _step;
        _offset = size <= _options.BufferSize ? 0 : _offset % (size - _options.BufferSize);
        _backend.Submit(request);
    }
}
