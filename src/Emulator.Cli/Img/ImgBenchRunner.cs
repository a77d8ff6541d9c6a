using Emulator.Block.Backend;
using Emulator.Block.Memory;

namespace Emulator.Cli.Img;

/// <summary>
/// Keeps <see cref="ImgBenchOptions.Depth"/> requests in flight on a backend, as qemu-img bench does:
/// each completion submits the next request at the next offset (wrapping before the end of the
/// image). The calling thread plays the machine loop and runs the completions.
/// With a <see cref="ImgBenchOptions.FlushInterval"/>, a completion that finds the number of requests not yet
/// submitted a multiple of the interval asks for a flush, as qemu-img's does: by default (drain) no request is
/// submitted until those in flight are done, then the flush runs alone and submission resumes when it completes;
/// with <c>--no-drain</c> the flush goes out at once beside the requests. <see cref="Run"/> returns when every
/// request has completed, which is where qemu-img bench stops its clock (a flush still outstanding then is waited
/// for by <see cref="Finish"/>, as qemu-img's close waits for it).
/// </summary>
internal sealed class ImgBenchRunner : IBlockCompletionHandler
{
    private readonly BlockBackend _backend;
    private readonly BlockLayer _layer;
    private readonly ImgBenchOptions _options;
    private readonly long _step;
    private readonly AlignedBuffer[] _buffers;
    private readonly Stack<BlockRequest> _idle;
    private long _offset;
    private int _submitted;
    private int _completed;
    private int _inFlight;
    private int _flushesInFlight;

    /// <summary>A drained flush is due or running: nothing is submitted until it completes.</summary>
    private bool _draining;

    public ImgBenchRunner(BlockLayer layer, BlockBackend backend, ImgBenchOptions options)
    {
        _layer = layer;
        _backend = backend;
        _options = options;
        _step = options.Step == 0 ? options.BufferSize : options.Step;
        _offset = options.Offset;
        _buffers = new AlignedBuffer[options.Depth];
        _idle = new Stack<BlockRequest>(options.Depth);
        for (var i = 0; i < _buffers.Length; i++)
        {
            _buffers[i] = AlignedBufferPool.Shared.Rent(options.BufferSize);
            _buffers[i].Span.Fill(options.Pattern);
            _idle.Push(new BlockRequest(this, _buffers[i]));
        }
    }

    public BlockError Error { get; private set; }

    /// <summary>Runs every request; returns the first error (the run stops submitting at it).</summary>
    public BlockError Run()
    {
        Fill();
        while (_completed < _options.Count && (_inFlight > 0 || _flushesInFlight > 0))
        {
            Wait();
        }

        return Error;
    }

    /// <summary>Waits for a flush the last completions asked for, then returns the buffers (after the timed run).</summary>
    public void Finish()
    {
        while (_inFlight > 0 || _flushesInFlight > 0)
        {
            Wait();
        }

        foreach (var buffer in _buffers)
        {
            AlignedBufferPool.Shared.Return(buffer);
        }
    }

    public void OnBlockRequestCompleted(BlockRequest request)
    {
        if (request.Error != BlockError.None && Error == BlockError.None)
        {
            Error = request.Error;
        }

        if (request.Tag is not AlignedBuffer)
        {
            // A flush: a drained one lets submission resume.
            _flushesInFlight--;
            _draining = false;
            Fill();
            return;
        }

        // qemu-img counts the requests not yet submitted at this completion and flushes when that is a multiple
        // of the interval (so also at the very end, when none is left).
        var unsubmitted = _options.Count - _submitted;
        _inFlight--;
        _completed++;
        _idle.Push(request);
        if (Error != BlockError.None)
        {
            return;
        }

        if (_options.FlushInterval > 0 && unsubmitted % _options.FlushInterval == 0)
        {
            // Draining, every completion until the last one in flight lands here again (nothing was submitted in
            // between, so the count is unchanged), and the last one sends the flush.
            if (_inFlight == 0 || !_options.Drain)
            {
                SubmitFlush();
            }

            if (_options.Drain)
            {
                _draining = true;
                return;
            }
        }

        Fill();
    }

    private void Wait()
    {
        if (_layer.Completions.RunPending() == 0)
        {
            _layer.Completions.WaitForPending(TimeSpan.FromMilliseconds(100));
        }
    }

    private void SubmitFlush()
    {
        var flush = new BlockRequest(this);
        flush.PrepareFlush();
        _flushesInFlight++;
        _backend.Submit(flush);
    }

    /// <summary>Submits idle requests while any are left to send and no drained flush holds them back.</summary>
    private void Fill()
    {
        while (!_draining && Error == BlockError.None && _submitted < _options.Count && _idle.Count > 0)
        {
            SubmitNext(_idle.Pop());
        }
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
