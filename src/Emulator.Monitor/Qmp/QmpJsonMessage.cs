using System.Text.Json.Nodes;

namespace Emulator.Monitor.Qmp;

/// <summary>One message from a client: the value it parsed to (which may be JSON null), or the error to report for it.</summary>
internal readonly record struct QmpJsonMessage(JsonNode? Value, string? Error)
{
    public static QmpJsonMessage Parsed(JsonNode? value) => new(value, null);

    public static QmpJsonMessage Failed(string error) => new(null, error);
}
