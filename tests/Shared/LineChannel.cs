using System.Net.Sockets;
using System.Text;

namespace Emulator.TestSupport;

/// <summary>A text line protocol over an accepted socket (qtest, or raw QMP lines), 30 s per read.</summary>
internal sealed class LineChannel : IDisposable
{
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;

    public LineChannel(Socket socket)
    {
        _stream = new NetworkStream(socket) { ReadTimeout = 30_000 };
        _reader = new StreamReader(_stream, Encoding.UTF8);
    }

    /// <summary>Asynchronous qtest lines (<c>IRQ raise N</c>) seen while waiting for a reply.</summary>
    public List<string> Asynchronous { get; } = [];

    public string ReadLine() => _reader.ReadLine() ?? throw new IOException("closed");

    public void WriteLine(string line) => _stream.Write(Encoding.UTF8.GetBytes(line + "\n"));

    /// <summary>Sends one qtest command and returns its reply; <c>IRQ …</c> lines before it go to <see cref="Asynchronous"/>.</summary>
    public string Command(string line)
    {
        WriteLine(line);
        while (true)
        {
            var reply = ReadLine();
            if (!reply.StartsWith("IRQ ", StringComparison.Ordinal))
            {
                return reply;
            }

            Asynchronous.Add(reply);
        }
    }

    /// <summary>The number of an <c>OK 0x…</c> reply.</summary>
    public uint Value(string line)
    {
        var reply = Command(line);
        return reply.StartsWith("OK 0x", StringComparison.Ordinal)
            ? Convert.ToUInt32(reply["OK 0x".Length..], 16)
            : throw new IOException($"'{line}' answered '{reply}'");
    }

    public void Dispose()
    {
        _reader.Dispose();
        _stream.Dispose();
    }
}
