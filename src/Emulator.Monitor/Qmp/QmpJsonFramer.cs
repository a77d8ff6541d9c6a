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
    private int _depth;
    private bool _inString;
    private bool _escape;

    /// <summary>Feeds characters; returns each completed JSON text (or an over-long marker, as null).</summary>
    public IEnumerable<string?> Feed(ReadOnlyMemory<char> chars)
    {
        for (var i = 0; i < chars.Length; i++)
        {
            var c = chars.Span[i];
            if (_current.Length == 0 && char.IsWhiteSpace(c))
            {
                continue;
            }

            if (_depth == 0 && !_inString && _current.Length > 0 && char.IsWhiteSpace(c))
            {
                // A scalar at the top level ends at whitespace.
                yield return Take();
                continue;
            }

            _current.Append(c);
            if (_current.Length > MaxValueLength)
            {
                Reset();
                yield return null;
                continue;
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

    private string Take()
    {
        var text = _current.ToString();
        Reset();
        return text;
    }

    private void Reset()
    {
        _current.Clear();
        _depth = 0;
        _inString = false;
        _escape = false;
    }
}
