using System.Text;

namespace Emulator.Cli.Tests.Boot;

/// <summary>A thread-safe output writer that records what <c>emu boot</c> prints and lets a test wait for a text.</summary>
internal sealed class ScreenLog : TextWriter
{
    private readonly StringBuilder _text = new();
    private readonly object _gate = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_gate)
        {
            _text.Append(value);
            System.Threading.Monitor.PulseAll(_gate);
        }
    }

    public override void Write(string? value)
    {
        lock (_gate)
        {
            _text.Append(value);
            System.Threading.Monitor.PulseAll(_gate);
        }
    }

    public override string ToString()
    {
        lock (_gate)
        {
            return _text.ToString();
        }
    }

    /// <summary>Waits until the output after <paramref name="from"/> contains <paramref name="text"/>; returns the index after it, or -1 on timeout.</summary>
    public int WaitFor(string text, int from, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        lock (_gate)
        {
            while (true)
            {
                var at = _text.ToString().IndexOf(text, from, StringComparison.Ordinal);
                if (at >= 0)
                {
                    return at + text.Length;
                }

                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    return -1;
                }

                System.Threading.Monitor.Wait(_gate, left);
            }
        }
    }
}
