using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Emulator.Block.Backend;
using Emulator.Block.Tracing;

namespace Emulator.Benchmarks.Tracing;

/// <summary>
/// What one I/O trace stamp costs, piece by piece (docs/io-tracing.md, "What it costs"): the host clock
/// read, the machine-clock reads, the 64-byte ring write, and a whole stamp with tracing off and on.
/// Each operation is one stamp; the loop runs <see cref="Stamps"/> of them and the ring is emptied
/// between loops (as the collector would), so a full ring never turns a write into a drop.
/// <see cref="RequestStampsOn"/> is the whole set one guest request makes.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class IoTraceStampBenchmarks
{
    private const int Stamps = 1024;
    private const int Requests = 100;

    private IoTraceRing _ring = null!;
    private int _track;
    private IoTraceRecord _record;
    private BlockRequest _request = null!;
    private long _accountingTicks;

    [GlobalSetup]
    public void Setup()
    {
        _ring = new IoTraceRing(0, "benchmark");
        _track = IoTrace.RegisterTrack("benchmark/q0");
        _record = new IoTraceRecord { HostTicks = 1, Stage = IoTraceStage.Doorbell, Track = _track, Name = -1 };
        IoTrace.Clock = new FieldClock();
        _request = new BlockRequest(new NoHandler()) { TraceTrack = _track };
        _request.PrepareRead(0, new byte[512]);
        _accountingTicks = Stopwatch.GetTimestamp();

        // Recording on without a collector: the loops empty the rings themselves, so none ever drops.
        IoTrace.SetEnabled(true);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        IoTrace.SetEnabled(false);
        IoTrace.Clock = null;
    }


    /// <summary>The host clock every stamp reads.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Stamps)]
    public long StopwatchTimestamp()
    {
        long sum = 0;
        for (var i = 0; i < Stamps; i++)
        {
            sum += Stopwatch.GetTimestamp();
        }

        return sum;
    }

    /// <summary>The virtual time and instruction count through <see cref="IIoTraceClock"/> (two interface calls).</summary>
    [Benchmark(OperationsPerInvoke = Stamps)]
    public long MachineClockReads()
    {
        long sum = 0;
        var clock = IoTrace.Clock!;
        for (var i = 0; i < Stamps; i++)
        {
            sum += clock.VirtualNanoseconds + clock.GuestInstructions;
        }

        return sum;
    }

    /// <summary>One 64-byte record into a ring, with its release store.</summary>
    [Benchmark(OperationsPerInvoke = Stamps)]
    public void RingWrite()
    {
        for (var i = 0; i < Stamps; i++)
        {
            _ring.Write(in _record);
        }

        _ring.Discard();
    }

    /// <summary>A stamp site with tracing off: the branch on the static flag.</summary>
    [Benchmark(OperationsPerInvoke = Stamps)]
    public void DoorbellOff()
    {
        IoTrace.SetEnabled(false);
        for (var i = 0; i < Stamps; i++)
        {
            IoTrace.Doorbell(_track);
        }

        IoTrace.SetEnabled(true);
    }

    /// <summary>A whole track stamp with a session running (clock reads, record, ring write).</summary>
    [Benchmark(OperationsPerInvoke = Stamps)]
    public void DoorbellOn()
    {
        for (var i = 0; i < Stamps / 2; i++)
        {
            IoTrace.Doorbell(_track);
            IoTrace.Decoded(_track);
        }

        DiscardRings();
    }

    /// <summary>
    /// Every stamp of one page-cached raw-over-file read as a virtio-blk request makes them, with tracing on:
    /// doorbell, decode, submit, raw and file start, file and raw end, queued, delivered. Submit and delivered
    /// take the backend's own accounting readings (taken with tracing off too), so they cost no clock read here.
    /// One operation is one request.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Requests)]
    public void RequestStampsOn()
    {
        const int Raw = 1;
        const int File = 2;
        var request = _request;
        for (var i = 0; i < Requests; i++)
        {
            IoTrace.Doorbell(_track);
            IoTrace.Decoded(_track);
            IoTrace.Submitted(request, 0, 1, _accountingTicks);
            var span = request.TraceSpan;
            IoTrace.CurrentSpan = span;
            IoTrace.DriverBegin(Raw, IoTraceOp.ReadNoWait, 0, 65536, forwards: true);
            IoTrace.DriverBegin(File, IoTraceOp.ReadNoWait, 0, 65536);
            IoTrace.DriverEnd(File, IoTraceOp.ReadNoWait, 0);
            IoTrace.DriverEnd(Raw, IoTraceOp.ReadNoWait, 0, forwards: true);
            IoTrace.CurrentSpan = 0;
            IoTrace.Queued(span, Raw);
            IoTrace.Delivered(span, 0, _accountingTicks);
        }

        DiscardRings();
    }

    private static void DiscardRings()
    {
        foreach (var ring in IoTrace.Rings)
        {
            ring.Discard();
        }
    }

    private sealed class NoHandler : IBlockCompletionHandler
    {
        public void OnBlockRequestCompleted(BlockRequest request)
        {
        }
    }

    private sealed class FieldClock : IIoTraceClock
    {
        public long VirtualNanoseconds { get; set; } = 1000;

        public long GuestInstructions { get; set; } = 10;
    }
}
