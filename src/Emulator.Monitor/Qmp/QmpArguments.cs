using System.Text.Json;
using System.Text.Json.Nodes;

namespace Emulator.Monitor.Qmp;

/// <summary>The checked <c>arguments</c> object of one command, with typed getters.</summary>
internal sealed class QmpArguments
{
    private readonly JsonObject _values;

    internal QmpArguments(JsonObject values)
    {
        _values = values;
    }

    public JsonObject Raw => _values;

    public bool Has(string name) => _values[name] is not null;

    public string? OptionalString(string name) => _values[name]?.GetValue<string>();

    public string String(string name) => OptionalString(name) ?? throw Missing(name);

    public long? OptionalInteger(string name) => _values[name] is JsonValue v ? AsInteger(v) : null;

    public long Integer(string name) => OptionalInteger(name) ?? throw Missing(name);

    public bool? OptionalBoolean(string name) => _values[name]?.GetValue<bool>();

    public bool Boolean(string name, bool defaultValue) => OptionalBoolean(name) ?? defaultValue;

    public JsonNode? Node(string name) => _values[name];

    /// <summary>Checks <paramref name="values"/> against <paramref name="parameters"/> as QEMU's input visitor does.</summary>
    internal static QmpArguments Check(JsonObject values, IReadOnlyList<QmpParameter> parameters, bool open)
    {
        foreach (var parameter in parameters)
        {
            var value = values[parameter.Name];
            if (value is null)
            {
                if (!parameter.Optional)
                {
                    throw Missing(parameter.Name);
                }

                continue;
            }

            if (!Matches(value, parameter.Type))
            {
                throw new QmpException($"Invalid parameter type for '{parameter.Name}', expected: {TypeName(parameter.Type)}");
            }
        }

        if (!open)
        {
            foreach (var (name, _) in values)
            {
                if (!parameters.Any(p => p.Name == name))
                {
                    throw new QmpException($"Parameter '{name}' is unexpected");
                }
            }
        }

        return new QmpArguments(values);
    }

    internal static QmpException Missing(string name) => new($"Parameter '{name}' is missing");

    private static long? AsInteger(JsonValue value) =>
        value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<long>(out var n) ? n : null;

    private static bool Matches(JsonNode value, QmpType type) => type switch
    {
        QmpType.String => value.GetValueKind() == JsonValueKind.String,
        QmpType.Integer => value is JsonValue v && AsInteger(v) is not null,
        QmpType.Boolean => value.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
        QmpType.Object => value is JsonObject,
        QmpType.Array => value is JsonArray,
        _ => true,
    };

    private static string TypeName(QmpType type) => type switch
    {
        QmpType.String => "string",
        QmpType.Integer => "integer",
        QmpType.Boolean => "boolean",
        QmpType.Object => "object",
        QmpType.Array => "array",
        _ => "any",
    };
}
