using System.Diagnostics.Tracing;
using Emulator.Block.Backend;
using Emulator.Block.Tracing;
using Emulator.Block.Tracing.Export;
using Emulator.Hosting;
using Emulator.Machine.Loop;

namespace Emulator.Cli.Tests.Profile;

/// <summary>
/// A session a tool starts (dotnet-trace enabling the EventSource, as an in-process listener does here) on a
/// running host carries the machine's virtual time and guest instruction count, not only <c>--io-trace</c>'s.
/// </summary>
[NonParallelizable]
public class IoTraceToolSessionTests
{
    [Test]
    public void EventSourceSession_OnAHost_RequestsCarryTheMachinesVirtualTimeAndInstructions()
    {
        var image = Path.Combine(Path.GetTempPath(), $"emu-tool-session-{Environment.ProcessId}.img");
        File.WriteAllBytes(image, new byte[1 << 20]);
        try
        {
            var machine = new PcMachine(new PcMachineOptions { Idle = IdleMode.Skip });
            using var host = new EmulatorHost(machine);
            machine.Run(RunLimits.Instructions(50_000));
            var backend = host.Layer.OpenImage(new BlockBackendOptions { Name = "tool-session" }, image, "raw");

            using var listener = new RequestListener();
            listener.EnableEvents(IoTraceEventSource.Log, EventLevel.Informational);
            var tracing = IoTrace.Enabled;
            ReadOnce(host.Layer, backend, IoTrace.RegisterTrack("tool-session/q0"));
            var request = listener.WaitForOne();
            listener.DisableEvents(IoTraceEventSource.Log);

            Assert.Multiple(() =>
            {
                Assert.That(tracing, Is.True, "enabling the provider started a session");
                Assert.That(machine.Clock.Now, Is.GreaterThan(0));
                Assert.That(machine.InstructionsExecuted, Is.GreaterThan(0));
                Assert.That(request, Is.Not.Null, "a Request event");
                Assert.That(Payload(request!, "startVirtualNs"), Is.EqualTo(machine.Clock.Now));
                Assert.That(Payload(request!, "startInstructions"), Is.EqualTo(machine.InstructionsExecuted));
                Assert.That(Payload(request!, "guestInstructions"), Is.Zero, "the machine did not run between doorbell and acknowledgement");
            });
        }
        finally
        {
            File.Delete(image);
        }
    }

    [Test]
    public void IoTraceFile_Ended_LeavesTheHostsClockForLaterSessions()
    {
        var trace = Path.Combine(Path.GetTempPath(), $"emu-tool-session-{Environment.ProcessId}.json");
        try
        {
            using var host = new EmulatorHost(new PcMachine(new PcMachineOptions { Idle = IdleMode.Skip }));
            var installed = IoTrace.Clock;

            Cli.Profile.IoTraceFile.Start(trace).Dispose();

            Assert.That(installed, Is.Not.Null);
            Assert.That(IoTrace.Clock, Is.SameAs(installed));
        }
        finally
        {
            File.Delete(trace);
        }
    }

    [Test]
    public void Host_Disposed_UninstallsItsClock()
    {
        var host = new EmulatorHost(new PcMachine(new PcMachineOptions { Idle = IdleMode.Skip }));
        var installed = IoTrace.Clock;

        host.Dispose();

        Assert.That(installed, Is.Not.Null);
        Assert.That(IoTrace.Clock, Is.Not.SameAs(installed));
    }

    private static long Payload(EventWrittenEventArgs e, string name) => (long)e.Payload![e.PayloadNames!.IndexOf(name)]!;

    /// <summary>One read as a device makes it, from doorbell to the guest's acknowledgement, played on this thread.</summary>
    private static void ReadOnce(BlockLayer layer, BlockBackend backend, int track)
    {
        var handler = new Handler();
        var request = new BlockRequest(handler) { TraceTrack = track };
        request.PrepareRead(0, new byte[512]);
        IoTrace.Doorbell(track);
        IoTrace.Decoded(track);
        backend.Submit(request);
        var deadline = Environment.TickCount64 + 5000;
        while (!handler.Done && Environment.TickCount64 < deadline)
        {
            if (layer.Completions.RunPending() == 0)
            {
                layer.Completions.WaitForPending(TimeSpan.FromMilliseconds(20));
            }
        }

        IoTrace.Interrupt(track);
        IoTrace.Acknowledge(track);
    }

    private sealed class Handler : IBlockCompletionHandler
    {
        public bool Done { get; private set; }

        public void OnBlockRequestCompleted(BlockRequest request) => Done = true;
    }

    private sealed class RequestListener : EventListener
    {
        private EventWrittenEventArgs? _request;

        public EventWrittenEventArgs? WaitForOne()
        {
            var deadline = Environment.TickCount64 + 5000;
            while (Volatile.Read(ref _request) is null && Environment.TickCount64 < deadline)
            {
                Thread.Sleep(10);
            }

            return Volatile.Read(ref _request);
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName == IoTraceEventSource.RequestEventName)
            {
                Interlocked.CompareExchange(ref _request, eventData, null);
            }
        }
    }
}
