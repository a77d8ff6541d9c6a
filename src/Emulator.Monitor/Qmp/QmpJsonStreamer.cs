using System.Text;

namespace Emulator.Monitor.Qmp;

/// <summary>
/// Turns the bytes a QMP client sends into messages the way QEMU's JSON streamer does (qmp-spec:
/// the parser resynchronises after an error). A byte-level lexer accepts QEMU's dialect — strings in
/// double or single quotes, integers, floats, the keywords — and collects tokens until braces and
/// brackets balance (a scalar stands alone); the tokens then go to <see cref="QmpJsonParser"/>.
/// A byte no token can hold (a control character or an impossible UTF-8 byte outside a string,
/// one inside a string, a stray character) is a lexical error: it produces one error message, and
/// input is skipped up to the next structural character, control character or 0xFE/0xFF byte,
/// which is where a client can put the stream back in step. Messages are bounded in size, token
/// count and nesting, so a hostile client cannot grow memory without bound: a message past
/// <see cref="MaxMessageBytes"/> (QEMU allows 64 MiB) is still followed to its end, so the stream stays
/// in step, but not kept, and is answered with one error.
/// </summary>
internal sealed class QmpJsonStreamer
{
    /// <summary>The bytes one message may hold before it is refused.</summary>
    public const int MaxMessageBytes = 1 << 20;

    private const int MaxTokens = 1 << 16;
    private const int MaxNesting = 1 << 10;

    private readonly List<QmpJsonToken> _tokens = [];
    private readonly List<byte> _token = [];
    private LexState _state = LexState.Start;
    private int _braces;
    private int _brackets;
    private int _messageBytes;
    private string? _refusal;

    private enum LexState
    {
        Start,
        Recovery,
        DoubleQuoted,
        DoubleQuotedEscape,
        SingleQuoted,
        SingleQuotedEscape,
        Zero,
        Sign,
        Digits,
        Mantissa,
        MantissaDigits,
        ExponentMark,
        ExponentSign,
        ExponentDigits,
        Keyword,
    }

    /// <summary>Feeds bytes; each message completed (a value, or the error QEMU would report) is added to <paramref name="messages"/>.</summary>
    public void Feed(ReadOnlySpan<byte> bytes, List<QmpJsonMessage> messages)
    {
        foreach (var b in bytes)
        {
            // A terminal state ends its token without taking the byte; the byte is then looked at again.
            while (!Step(b, messages))
            {
            }

            if (_messageBytes + _token.Count > MaxMessageBytes)
            {
                Refuse("JSON token size limit exceeded");
                _token.Clear();
            }
        }
    }

    /// <summary>Takes one byte in the current state; false when the byte must be looked at again in the new state.</summary>
    private bool Step(byte b, List<QmpJsonMessage> messages)
    {
        switch (_state)
        {
            case LexState.Start:
                return Begin(b, messages);
            case LexState.Recovery:
                if (b is (< 0x20 and not (byte)'\t') or >= 0xFE or (byte)'[' or (byte)']' or (byte)'{' or (byte)'}' or (byte)':' or (byte)',')
                {
                    _state = LexState.Start;
                    return false;
                }

                return true;
            case LexState.DoubleQuoted or LexState.SingleQuoted:
                return InString(b, _state == LexState.DoubleQuoted ? (byte)'"' : (byte)'\'', messages);
            case LexState.DoubleQuotedEscape or LexState.SingleQuotedEscape:
                return Take(b, IsStringByte(b) ? (_state == LexState.DoubleQuotedEscape ? LexState.DoubleQuoted : LexState.SingleQuoted) : null, messages);
            case LexState.Zero:
                return IsDigit(b) ? Take(b, null, messages) : b == '.' ? Take(b, LexState.Mantissa, messages) : End(QmpJsonTokenKind.Integer, messages);
            case LexState.Sign:
                return Take(b, b == '0' ? LexState.Zero : IsDigit(b) ? LexState.Digits : null, messages);
            case LexState.Digits:
                return IsDigit(b) ? Take(b, LexState.Digits, messages)
                    : b is (byte)'e' or (byte)'E' ? Take(b, LexState.ExponentMark, messages)
                    : b == '.' ? Take(b, LexState.Mantissa, messages)
                    : End(QmpJsonTokenKind.Integer, messages);
            case LexState.Mantissa:
                return Take(b, IsDigit(b) ? LexState.MantissaDigits : null, messages);
            case LexState.MantissaDigits:
                return IsDigit(b) ? Take(b, LexState.MantissaDigits, messages)
                    : b is (byte)'e' or (byte)'E' ? Take(b, LexState.ExponentMark, messages)
                    : End(QmpJsonTokenKind.Float, messages);
            case LexState.ExponentMark:
                return Take(b, b is (byte)'+' or (byte)'-' ? LexState.ExponentSign : IsDigit(b) ? LexState.ExponentDigits : null, messages);
            case LexState.ExponentSign:
                return Take(b, IsDigit(b) ? LexState.ExponentDigits : null, messages);
            case LexState.ExponentDigits:
                return IsDigit(b) ? Take(b, LexState.ExponentDigits, messages) : End(QmpJsonTokenKind.Float, messages);
            default:
                return b is >= (byte)'a' and <= (byte)'z' ? Take(b, LexState.Keyword, messages) : End(QmpJsonTokenKind.Keyword, messages);
        }
    }

    private bool Begin(byte b, List<QmpJsonMessage> messages)
    {
        switch (b)
        {
            case (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n':
                return true;
            case (byte)'{':
                return Structural(QmpJsonTokenKind.LeftBrace, b, messages);
            case (byte)'}':
                return Structural(QmpJsonTokenKind.RightBrace, b, messages);
            case (byte)'[':
                return Structural(QmpJsonTokenKind.LeftBracket, b, messages);
            case (byte)']':
                return Structural(QmpJsonTokenKind.RightBracket, b, messages);
            case (byte)',':
                return Structural(QmpJsonTokenKind.Comma, b, messages);
            case (byte)':':
                return Structural(QmpJsonTokenKind.Colon, b, messages);
            case (byte)'"':
                return Take(b, LexState.DoubleQuoted, messages);
            case (byte)'\'':
                return Take(b, LexState.SingleQuoted, messages);
            case (byte)'0':
                return Take(b, LexState.Zero, messages);
            case (byte)'-':
                return Take(b, LexState.Sign, messages);
            default:
                return Take(b, IsDigit(b) ? LexState.Digits : b is >= (byte)'a' and <= (byte)'z' ? LexState.Keyword : null, messages);
        }
    }

    private bool InString(byte b, byte quote, List<QmpJsonMessage> messages)
    {
        if (b == quote)
        {
            _token.Add(b);
            End(QmpJsonTokenKind.String, messages);
            return true;
        }

        return Take(b, !IsStringByte(b) ? null : b == '\\' ? (quote == '"' ? LexState.DoubleQuotedEscape : LexState.SingleQuotedEscape) : _state, messages);
    }

    /// <summary>Appends the byte to the token and moves on; a null state is a lexical error (the byte is part of what is reported).</summary>
    private bool Take(byte b, LexState? next, List<QmpJsonMessage> messages)
    {
        _token.Add(b);
        if (next is { } state)
        {
            _state = state;
            return true;
        }

        var stray = Encoding.UTF8.GetString(_token.ToArray());
        _token.Clear();
        Fail($"JSON parse error, stray '{stray}'", messages);
        _state = LexState.Recovery;
        return true;
    }

    private bool Structural(QmpJsonTokenKind kind, byte b, List<QmpJsonMessage> messages)
    {
        _token.Add(b);
        End(kind, messages);
        return true;
    }

    /// <summary>Ends the token being built and hands it to the message being collected; returns false (the byte was not taken).</summary>
    private bool End(QmpJsonTokenKind kind, List<QmpJsonMessage> messages)
    {
        var text = _token.ToArray();
        _token.Clear();
        _state = LexState.Start;
        switch (kind)
        {
            case QmpJsonTokenKind.LeftBrace:
                _braces++;
                break;
            case QmpJsonTokenKind.RightBrace:
                _braces--;
                break;
            case QmpJsonTokenKind.LeftBracket:
                _brackets++;
                break;
            case QmpJsonTokenKind.RightBracket:
                _brackets--;
                break;
        }

        _messageBytes += text.Length;
        if (_tokens.Count + 1 > MaxTokens)
        {
            Refuse("JSON token count limit exceeded");
        }

        if (_braces + _brackets > MaxNesting)
        {
            Refuse("JSON nesting depth limit exceeded");
        }

        if (_refusal is null)
        {
            _tokens.Add(new QmpJsonToken(kind, text));
        }

        if ((_braces > 0 || _brackets > 0) && _braces >= 0 && _brackets >= 0)
        {
            return false;
        }

        messages.Add(_refusal is { } refusal ? QmpJsonMessage.Failed(refusal) : QmpJsonParser.Parse(_tokens));
        Reset();
        return false;
    }

    private void Fail(string error, List<QmpJsonMessage> messages)
    {
        messages.Add(QmpJsonMessage.Failed(error));
        Reset();
    }

    private void Reset()
    {
        _tokens.Clear();
        _braces = 0;
        _brackets = 0;
        _messageBytes = 0;
        _refusal = null;
    }

    /// <summary>Drops what the message holds and keeps only its nesting, so its end is still found; it is then answered with <paramref name="error"/>.</summary>
    private void Refuse(string error)
    {
        _refusal ??= error;
        _tokens.Clear();
        _messageBytes = 0;
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    private static bool IsStringByte(byte b) => b is >= 0x20 and <= 0xFD;
}
