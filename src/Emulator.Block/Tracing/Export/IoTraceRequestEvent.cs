using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Tracing;

namespace Emulator.Block.Tracing.Export;

/// <summary>
/// The payload of <see cref="IoTraceEventSource"/>'s Request event; the property names are the payload's
/// field names (camelCase, as the manifest event's parameters were, so consumers keep their field names).
/// </summary>
[EventData]
[SuppressMessage("Style", "IDE1006:Naming Styles", Justification = "Payload field names seen by dotnet-trace users.")]
internal sealed class IoTraceRequestEvent
{
    public long span { get; init; }

    public string device { get; init; } = string.Empty;

    public string drive { get; init; } = string.Empty;

    public string op { get; init; } = string.Empty;

    public long offset { get; init; }

    public long length { get; init; }

    public int queueDepth { get; init; }

    public int result { get; init; }

    public double serviceMicros { get; init; }

    public double guestViewMicros { get; init; }

    public long serviceVirtualNs { get; init; }

    public long guestInstructions { get; init; }

    /// <summary>Virtual time (ns since power-on) at the request's first stage: places it on the guest's clock.</summary>
    public long startVirtualNs { get; init; }

    /// <summary>Guest instructions executed before the request's first stage.</summary>
    public long startInstructions { get; init; }
}
