using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Emulator.Monitor.Qmp;

/// <summary>
/// Builds the value of one message from its tokens (<see cref="QmpJsonStreamer"/>), with QEMU's
/// rules: object keys are strings and unique, strings decode the JSON escapes plus <c>\'</c> and
/// must be valid UTF-8 (U+0000 is refused), integers are 64-bit signed, else unsigned, else a double.
/// Errors carry QEMU's wording ("JSON parse error, expecting value").
/// </summary>
internal sealed class QmpJsonParser
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly List<QmpJsonToken> _tokens;
    private int _next;

    private QmpJsonParser(List<QmpJsonToken> tokens)
    {
        _tokens = tokens;
    }

    public static QmpJsonMessage Parse(List<QmpJsonToken> tokens)
    {
        var parser = new QmpJsonParser(tokens);
        try
        {
            return QmpJsonMessage.Parsed(parser.Value());
        }
        catch (FormatException e)
        {
            return QmpJsonMessage.Failed($"JSON parse error, {e.Message}");
        }
    }

    private QmpJsonToken Next() => _next < _tokens.Count ? _tokens[_next++] : throw new FormatException("premature EOI");

    private JsonNode? Value()
    {
        var token = Next();
        return token.Kind switch
        {
            QmpJsonTokenKind.LeftBrace => Object(),
            QmpJsonTokenKind.LeftBracket => Array(),
            QmpJsonTokenKind.String => JsonValue.Create(DecodeString(token.Text)),
            QmpJsonTokenKind.Integer => Integer(Encoding.ASCII.GetString(token.Text)),
            QmpJsonTokenKind.Float => JsonValue.Create(double.Parse(Encoding.ASCII.GetString(token.Text), NumberStyles.Float, CultureInfo.InvariantCulture)),
            QmpJsonTokenKind.Keyword => Keyword(Encoding.ASCII.GetString(token.Text)),
            _ => throw new FormatException("expecting value"),
        };
    }

    private JsonObject Object()
    {
        var result = new JsonObject();
        if (Peek(QmpJsonTokenKind.RightBrace))
        {
            return result;
        }

        while (true)
        {
            // A key is parsed as a value first (so "{]" says "expecting value", as QEMU does), then must be a string.
            if (Value() is not JsonValue key || !key.TryGetValue<string>(out var name))
            {
                throw new FormatException("key is not a string in object");
            }

            if (Next().Kind != QmpJsonTokenKind.Colon)
            {
                throw new FormatException("missing : in object pair");
            }

            var value = Value();
            if (!result.TryAdd(name, value))
            {
                throw new FormatException("duplicate key");
            }

            if (EndsAfterElement(QmpJsonTokenKind.RightBrace, "dict"))
            {
                return result;
            }
        }
    }

    private JsonArray Array()
    {
        var result = new JsonArray();
        if (Peek(QmpJsonTokenKind.RightBracket))
        {
            return result;
        }

        while (true)
        {
            result.Add(Value());
            if (EndsAfterElement(QmpJsonTokenKind.RightBracket, "list"))
            {
                return result;
            }
        }
    }

    /// <summary>The token after an element: true for the container's <paramref name="close"/>, false for a comma (another element follows).</summary>
    private bool EndsAfterElement(QmpJsonTokenKind close, string container)
    {
        var kind = Next().Kind;
        if (kind == close)
        {
            return true;
        }

        if (kind != QmpJsonTokenKind.Comma)
        {
            throw new FormatException($"expected separator in {container}");
        }

        return false;
    }

    /// <summary>Takes the next token when it is of <paramref name="kind"/>.</summary>
    private bool Peek(QmpJsonTokenKind kind)
    {
        if (_next < _tokens.Count && _tokens[_next].Kind == kind)
        {
            _next++;
            return true;
        }

        return false;
    }

    private static JsonValue? Keyword(string word) => word switch
    {
        "true" => JsonValue.Create(true),
        "false" => JsonValue.Create(false),
        "null" => null,
        _ => throw new FormatException($"invalid keyword '{word}'"),
    };

    private static JsonValue Integer(string digits) =>
        long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var signed) ? JsonValue.Create(signed)
        : digits[0] != '-' && ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var unsigned) ? JsonValue.Create(unsigned)
        : JsonValue.Create(double.Parse(digits, NumberStyles.Float, CultureInfo.InvariantCulture));

    /// <summary>The text of a string token between its quotes, escapes decoded.</summary>
    private static string DecodeString(byte[] token)
    {
        var text = new StringBuilder(token.Length);
        var body = token.AsSpan(1, token.Length - 2);
        var run = 0;
        for (var i = 0; i < body.Length; i++)
        {
            if (body[i] != '\\')
            {
                continue;
            }

            AppendUtf8(text, body[run..i]);
            i++;
            switch ((char)body[i])
            {
                case '"' or '\'' or '\\' or '/':
                    text.Append((char)body[i]);
                    break;
                case 'b':
                    text.Append('\b');
                    break;
                case 'f':
                    text.Append('\f');
                    break;
                case 'n':
                    text.Append('\n');
                    break;
                case 'r':
                    text.Append('\r');
                    break;
                case 't':
                    text.Append('\t');
                    break;
                case 'u':
                    i = UnicodeEscape(body, i, text);
                    break;
                default:
                    throw new FormatException("invalid escape sequence in string");
            }

            run = i + 1;
        }

        AppendUtf8(text, body[run..]);
        return text.ToString();
    }

    /// <summary>Decodes <c>\uXXXX</c> (a surrogate pair as two) at <paramref name="u"/> (the 'u'); returns the index of its last digit.</summary>
    private static int UnicodeEscape(ReadOnlySpan<byte> body, int u, StringBuilder text)
    {
        var code = Hex4(body, u + 1);
        var last = u + 4;
        if (code is >= 0xD800 and <= 0xDBFF && last + 2 < body.Length && body[last + 1] == '\\' && body[last + 2] == 'u'
            && Hex4(body, last + 3) is >= 0xDC00 and <= 0xDFFF and var low)
        {
            text.Append((char)code).Append((char)low);
            return last + 6;
        }

        if (code is 0 or (>= 0xD800 and <= 0xDFFF))
        {
            throw new FormatException($"{Encoding.ASCII.GetString(body.Slice(u - 1, 6))} is not a valid Unicode character");
        }

        text.Append((char)code);
        return last;
    }

    private static int Hex4(ReadOnlySpan<byte> body, int at)
    {
        if (at + 4 > body.Length
            || !int.TryParse(Encoding.ASCII.GetString(body.Slice(at, 4)), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
        {
            throw new FormatException("invalid escape sequence in string");
        }

        return value;
    }

    private static void AppendUtf8(StringBuilder text, ReadOnlySpan<byte> bytes)
    {
        try
        {
            text.Append(StrictUtf8.GetString(bytes));
        }
        catch (DecoderFallbackException)
        {
            throw new FormatException("invalid UTF-8 sequence in string");
        }
    }
}
