using System.Diagnostics.Tracing;

namespace Emulator.Block.Tracing.Export;

/// <summary>
/// The I/O trace as .NET runtime events, for <c>dotnet-trace collect --providers Emulator-Storage-IoTrace</c>:
/// one <see cref="Request"/> event per finished guest request (the span the trace file carries). Enabling
/// the provider starts a tracing session when none runs; disabling it ends the session it started.
/// Events are written by the collector's thread, never on the I/O path.
/// </summary>
[EventSource(Name = ProviderName)]
public sealed class IoTraceEventSource : EventSource
{
    public const string ProviderName = "Emulator-Storage-IoTrace";
    public const int RequestEventId = 1;

    public static readonly IoTraceEventSource Log = new();

    private IoTraceEventSource()
    {
    }

    /// <summary>A finished request: what it was, and its phases in wall µs and virtual ns (-1 where a stage was not seen).</summary>
    [Event(RequestEventId, Level = EventLevel.Informational, Message = "{1} {3} offset {4} length {5}: {8} µs")]
    public void Request(
        long span,
        string device,
        string drive,
        string op,
        long offset,
        long length,
        int queueDepth,
        int result,
        double serviceMicros,
        double guestViewMicros,
        long serviceVirtualNs,
        long guestInstructions)
    {
        if (IsEnabled())
        {
            WriteEvent(RequestEventId, span, device, drive, op, offset, length, queueDepth, result, serviceMicros, guestViewMicros, serviceVirtualNs, guestInstructions);
        }
    }

    protected override void OnEventCommand(EventCommandEventArgs command)
    {
        if (command.Command == EventCommand.Enable)
        {
            IoTraceObservers.Acquire();
        }
        else if (command.Command == EventCommand.Disable)
        {
            IoTraceObservers.Release();
        }
    }
}
