using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Emulator.Monitor.Qmp;

/// <summary>
/// Writes a QMP message as QEMU's monitor does: a space after every ':' and ',', and in strings only
/// '"', '\', the control characters and everything outside printable ASCII escaped (control and
/// non-ASCII characters as <c>\uXXXX</c> with upper-case hex, beyond the BMP as a surrogate pair).
/// System.Text.Json's default form differs in both (it also escapes '+', '&lt;', '&gt;', '&amp;', '\'');
/// clients that compare text, or log it as QEMU's own tests do, see QEMU's bytes. Object members come
/// out in the order QEMU's hash table holds them (see <see cref="Bucket"/>).
/// </summary>
public static class QmpJsonWriter
{
    private const char Replacement = '\uFFFD';
    private const int FirstPrintable = 0x20;
    private const int LastPrintable = 0x7E;

    // QEMU's dictionary: 512 buckets, keys hashed with the TDB string hash.
    private const uint Buckets = 512;
    private const uint HashSeed = 0x238F13AF;
    private const uint HashMultiplier = 1103515243;
    private const uint HashIncrement = 12345;
    private const int HashShiftStep = 5;
    private const int HashShiftPeriod = 24;

    /// <summary>The JSON text QEMU's monitor would send for <paramref name="node"/> (no line end).</summary>
    /// <param name="node">A reply, an event, or any value in one.</param>
    /// <returns>The text.</returns>
    public static string Write(JsonNode? node)
    {
        var text = new StringBuilder();
        Append(text, node);
        return text.ToString();
    }

    /// <summary>
    /// <paramref name="message"/> as a client that parses the wire sees it: the same members, in the order QEMU
    /// sends them. An in-process client (the conformance harness) gets the objects a socket client gets.
    /// </summary>
    /// <param name="message">A reply or event.</param>
    /// <returns>A new object.</returns>
    public static JsonObject AsSent(JsonObject message) => JsonNode.Parse(Write(message))!.AsObject();

    private static void Append(StringBuilder text, JsonNode? node)
    {
        switch (node)
        {
            case null:
                text.Append("null");
                break;
            case JsonObject obj:
                text.Append('{');
                var members = obj.Select((member, index) => (Member: member, Bucket: Bucket(member.Key), Index: index))
                    .OrderBy(m => m.Bucket).ThenByDescending(m => m.Index);
                var firstMember = true;
                foreach (var (member, _, _) in members)
                {
                    text.Append(firstMember ? string.Empty : ", ");
                    firstMember = false;
                    AppendString(text, member.Key);
                    text.Append(": ");
                    Append(text, member.Value);
                }

                text.Append('}');
                break;
            case JsonArray array:
                text.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    text.Append(i == 0 ? string.Empty : ", ");
                    Append(text, array[i]);
                }

                text.Append(']');
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                AppendString(text, value.GetValue<string>());
                break;
            default:
                // Numbers, true and false: their JSON text has nothing to escape.
                text.Append(node.ToJsonString());
                break;
        }
    }

    /// <summary>
    /// The hash-table bucket QEMU's dictionary files <paramref name="key"/> under: QEMU writes an object's
    /// members bucket by bucket, and within a bucket the most recently added first, so that order —
    /// not the order the members were added — is the order on the wire.
    /// </summary>
    private static int Bucket(string key)
    {
        var bytes = Encoding.UTF8.GetBytes(key);
        var value = unchecked(HashSeed * (uint)bytes.Length);
        for (var i = 0; i < bytes.Length; i++)
        {
            value = unchecked(value + ((uint)bytes[i] << (i * HashShiftStep % HashShiftPeriod)));
        }

        return (int)(unchecked((HashMultiplier * value) + HashIncrement) % Buckets);
    }

    private static void AppendString(StringBuilder text, string value)
    {
        text.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '"':
                    text.Append("\\\"");
                    break;
                case '\\':
                    text.Append("\\\\");
                    break;
                case '\b':
                    text.Append("\\b");
                    break;
                case '\f':
                    text.Append("\\f");
                    break;
                case '\n':
                    text.Append("\\n");
                    break;
                case '\r':
                    text.Append("\\r");
                    break;
                case '\t':
                    text.Append("\\t");
                    break;
                case >= (char)FirstPrintable and <= (char)LastPrintable:
                    text.Append(c);
                    break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                    {
                        AppendEscape(text, c);
                        AppendEscape(text, value[++i]);
                    }
                    else
                    {
                        // A lone surrogate is not a character: QEMU writes the replacement character for what it cannot decode.
                        AppendEscape(text, char.IsSurrogate(c) ? Replacement : c);
                    }

                    break;
            }
        }

        text.Append('"');
    }

    private static void AppendEscape(StringBuilder text, char c) =>
        text.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
}
