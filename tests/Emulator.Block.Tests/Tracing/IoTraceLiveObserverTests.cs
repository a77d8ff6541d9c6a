using System.Diagnostics.Metrics;
using System.Diagnostics.Tracing;
using Emulator.Block.Backend;
using Emulator.Block.Tests.Support;
using Emulator.Block.Tracing;
using Emulator.Block.Tracing.Export;

namespace Emulator.Block.Tests.Tracing;

/// <summary>.NET's own tooling on a running emulator: the EventSource and the meter start tracing and see requests.</summary>
[NonParallelizable]
public class IoTraceLiveObserverTests
{
    private BlockHarness _h = null!;
    private BlockBackend _backend = null!;

    [SetUp]
    public void SetUp()
    {
        _h = new BlockHarness();
        _backend = _h.Layer.OpenImage(new BlockBackendOptions { Name = "live" }, _h.CreateImage(1 << 20), "raw");
    }

    [TearDown]
    public void TearDown()
    {
        IoTraceObservers.StopOwnedSession();
        _h.Dispose();
    }

    [Test]
    public void EventSource_EnabledByAListener_StartsTracingAndWritesOneRequestEventPerRequest()
    {
        using var listener = new RequestListener();
        listener.EnableEvents(IoTraceEventSource.Log, EventLevel.Informational);
        var tracingStarted = IoTrace.Enabled;

        RunReads("es-test/q0", 3);
        var events = listener.WaitFor(3);
        listener.DisableEvents(IoTraceEventSource.Log);

        Assert.Multiple(() =>
        {
            Assert.That(tracingStarted, Is.True);
            Assert.That(events.Select(e => Payload(e, "device")), Is.All.EqualTo("es-test/q0"));
            Assert.That(events.Select(e => Payload(e, "drive")), Is.All.EqualTo("live"));
            Assert.That(events.Select(e => (long)Payload(e, "length")!), Is.All.EqualTo(4096));
            Assert.That(events.Select(e => (double)Payload(e, "serviceMicros")!), Is.All.GreaterThan(0));
            Assert.That(IoTrace.Enabled, Is.False, "disabling the provider ends the session it started");
        });
    }

    [Test]
    public void Meter_Observed_StartsTracingAndCountsRequestsAndBytesPerDevice()
    {
        var requests = 0L;
        var bytes = 0L;
        var latencies = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == IoTraceMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (!HasDevice(tags, "meter-test/q0"))
            {
                return;
            }

            if (instrument.Name == "emulator.block.requests")
            {
                Interlocked.Add(ref requests, value);
            }
            else if (instrument.Name == "emulator.block.bytes")
            {
                Interlocked.Add(ref bytes, value);
            }
        });
        listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) =>
        {
            if (instrument.Name == "emulator.block.latency" && HasDevice(tags, "meter-test/q0"))
            {
                Interlocked.Increment(ref latencies);
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        var tracingStarted = IoTrace.Enabled;

        RunReads("meter-test/q0", 4);
        var deadline = Environment.TickCount64 + 5000;
        while (Interlocked.Read(ref requests) < 4 && Environment.TickCount64 < deadline)
        {
            Thread.Sleep(10);
        }

        Assert.Multiple(() =>
        {
            Assert.That(tracingStarted, Is.True);
            Assert.That(Interlocked.Read(ref requests), Is.EqualTo(4));
            Assert.That(Interlocked.Read(ref bytes), Is.EqualTo(4 * 4096));
            Assert.That(latencies, Is.EqualTo(4));
        });
    }

    private static object? Payload(EventWrittenEventArgs e, string name) => e.Payload![e.PayloadNames!.IndexOf(name)];

    private static bool HasDevice(ReadOnlySpan<KeyValuePair<string, object?>> tags, string device)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "device" && (string?)tag.Value == device)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Reads with a doorbell and an interrupt+ack each, so every span closes as a device's would.</summary>
    private void RunReads(string track, int count)
    {
        var handler = new CountingHandler();
        var request = new BlockRequest(handler) { TraceTrack = IoTrace.RegisterTrack(track) };
        var buffer = new byte[4096];
        for (var i = 0; i < count; i++)
        {
            IoTrace.Doorbell(request.TraceTrack);
            request.PrepareRead(i * 4096L, buffer);
            _backend.Submit(request);
            _h.RunLoopUntil(() => handler.Completed > i);
            IoTrace.Interrupt(request.TraceTrack);
            IoTrace.Acknowledge(request.TraceTrack);
        }
    }

    private sealed class RequestListener : EventListener
    {
        private readonly List<EventWrittenEventArgs> _events = [];

        public IReadOnlyList<EventWrittenEventArgs> WaitFor(int count)
        {
            var deadline = Environment.TickCount64 + 5000;
            while (Environment.TickCount64 < deadline)
            {
                lock (_events)
                {
                    if (_events.Count >= count)
                    {
                        return _events.ToList();
                    }
                }

                Thread.Sleep(10);
            }

            lock (_events)
            {
                return _events.ToList();
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName == IoTraceEventSource.RequestEventName)
            {
                lock (_events)
                {
                    _events.Add(eventData);
                }
            }
        }
    }
}
