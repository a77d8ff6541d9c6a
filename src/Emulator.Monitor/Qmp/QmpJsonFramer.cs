using System.Text;

namespace Emulator.Monitor.Qmp;

/// <summary>
/// Splits the characters a client sends into complete top-level JSON texts, the way QEMU's
/// streaming parser does: objects and arrays end when their brackets balance (strings and escapes
/// respected); scalars end at whitespace. A client may send several values per line or one value
/// over several lines. Runaway input is cut off so a hostile client cannot grow memory unbounded.
/// </summary>
internal sealed class QmpJsonFramer
{
    /// <summary>QEMU's parser limits a token stream to 64 MiB; one command needs far less.</summary>
    public const int MaxValueLength = 1 << 20;

    private readonly StringBuilder _current = new();
    private bool _started;
    private bool _overflow;
    private int _depth;
    private bool _inString;
    private bool _escape;

    /// <summary>
    /// Feeds characters; returns each completed JSON text. A value longer than
    /// <see cref="MaxValueLength"/> is still followed to its end (so the stream stays in step, as
    /// QEMU's lexer keeps its place) but not kept, and comes out as null.
    /// </summary>
    public IEnumerable<string?> Feed(ReadOnlyMemory<char> chars)
    {
        for (var i = 0; i < chars.Length; i++)
        {
            var c = chars.Span[i];
            if (!_started && char.IsWhiteSpace(c))
            {
                continue;
            }

            if (_depth == 0 && !_inString && _started && char.IsWhiteSpace(c))
            {
                // A scalar at the top level ends at whitespace.
                yield return Take();
                continue;
            }

            _started = true;
            if (!_overflow)
            {
                _current.Append(c);
                if (_current.Length > MaxValueLength)
                {
                    _overflow = true;
                    _current.Clear();
                }
            }

            if (_inString)
            {
                if (_escape)
                {
                    _escape = false;
                }
                else if (c == '\\')
                {
                    _escape = true;
                }
                else if (c == '"')
                {
                    _inString = false;
                    if (_depth == 0)
                    {
                        yield return Take();
                    }
                }

                continue;
            }

            switch (c)
            {
                case '"':
                    _inString = true;
                    break;
                case '{' or '[':
                    _depth++;
                    break;
                case '}' or ']':
                    _depth--;
                    if (_depth <= 0)
                    {
                        yield return Take();
                    }

                    break;
            }
        }
    }

    private string? Take()
    {
        var text = _overflow ? null : _current.ToString();
        _current.Clear();
        _started = false;
        _overflow = false;
        _depth = 0;
        _inString = false;
        _escape = false;
        return text;
    }
}
