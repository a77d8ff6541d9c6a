using System.Diagnostics.Tracing;

namespace Emulator.Block.Tracing.Export;

/// <summary>
/// The I/O trace as .NET runtime events, for <c>dotnet-trace collect --providers Emulator-Storage-IoTrace</c>:
/// one <see cref="RequestEventName"/> event per finished guest request (the span the trace file carries).
/// Enabling the provider starts a tracing session when none runs; disabling it ends the session it started.
/// Events are written by the collector's thread, never on the I/O path.
/// </summary>
/// <remarks>
/// The event is self-describing (TraceLogging), not manifest-based: EventPipe registers a manifest event
/// with EventSource's session bits as keywords (0xF00000000000), and dotnet-trace 10 enables a provider
/// named without keywords with keywords 0, which filters such an event out, so the bare provider name
/// recorded nothing. A self-describing event carries no keywords and is enabled by the bare name.
/// </remarks>
[EventSource(Name = ProviderName)]
internal sealed class IoTraceEventSource : EventSource
{
    public const string ProviderName = "Emulator-Storage-IoTrace";
    public const string RequestEventName = "Request";

    public static readonly IoTraceEventSource Log = new();

    private static readonly EventSourceOptions RequestOptions = new() { Level = EventLevel.Informational };

    private IoTraceEventSource()
        : base(EventSourceSettings.EtwSelfDescribingEventFormat)
    {
    }

    /// <summary>A finished request: what it was, its phases in wall µs and virtual ns (-1 where a stage was not seen), and where it started on the guest's clock.</summary>
    [NonEvent]
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
        long guestInstructions,
        long startVirtualNs,
        long startInstructions)
    {
        if (IsEnabled())
        {
            Write(RequestEventName, RequestOptions, new IoTraceRequestEvent
            {
                span = span,
                device = device,
                drive = drive,
                op = op,
                offset = offset,
                length = length,
                queueDepth = queueDepth,
                result = result,
                serviceMicros = serviceMicros,
                guestViewMicros = guestViewMicros,
                serviceVirtualNs = serviceVirtualNs,
                guestInstructions = guestInstructions,
                startVirtualNs = startVirtualNs,
                startInstructions = startInstructions,
            });
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
