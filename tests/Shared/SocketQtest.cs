using System.Globalization;
using Emulator.Machine.Bus;
using Emulator.Testing;

namespace Emulator.TestSupport;

/// <summary>
/// <see cref="IQtest"/> over a qtest socket (emu-system-x86_64 or QEMU), as libqtest implements it over text lines,
/// so the libqos helpers of Emulator.Testing run over the socket too.
/// </summary>
internal sealed class SocketQtest(LineChannel channel) : IQtest
{
    private readonly bool[] _levels = new bool[QtestHarness.MaxIrqLines];
    private int _seen;

    public uint In(ushort port, PortWidth width) => (uint)Number(Ok($"in{Suffix(width)} 0x{port:x}"));

    public void Out(ushort port, PortWidth width, uint value) => Ok($"out{Suffix(width)} 0x{port:x} 0x{value:x}");

    public void Read(ulong address, Span<byte> data)
    {
        var reply = Ok($"read 0x{address:x} 0x{data.Length:x}");
        Convert.FromHexString(reply.AsSpan("OK 0x".Length)).CopyTo(data);
    }

    public void Write(ulong address, ReadOnlySpan<byte> data) => Ok($"write 0x{address:x} 0x{data.Length:x} 0x{Convert.ToHexStringLower(data)}");

    public void Memset(ulong address, int size, byte value) => Ok($"memset 0x{address:x} 0x{size:x} 0x{value:x}");

    public long ClockStep(ulong nanoseconds) => long.Parse(Ok($"clock_step {nanoseconds}")[3..], CultureInfo.InvariantCulture);

    public long? ClockStepToNextDeadline()
    {
        var reply = channel.Command("clock_step");
        return reply.StartsWith("OK ", StringComparison.Ordinal) ? long.Parse(reply[3..], CultureInfo.InvariantCulture) : null;
    }

    public long ClockSet(ulong time) => long.Parse(Ok($"clock_set {time}")[3..], CultureInfo.InvariantCulture);

    public void InterceptIrqIn(string path) => Ok($"irq_intercept_in {path}");

    public void InterceptIrqOut(string path) => Ok($"irq_intercept_out {path}");

    /// <summary>As libqtest's qtest_get_irq: a dummy command first, so every IRQ line sent before it has been read.</summary>
    public bool GetIrq(int line)
    {
        channel.Command("inb 0x0");
        for (; _seen < channel.Asynchronous.Count; _seen++)
        {
            var words = channel.Asynchronous[_seen].Split(' ');
            _levels[int.Parse(words[2], CultureInfo.InvariantCulture)] = words[1] == "raise";
        }

        return _levels[line];
    }

    private static string Suffix(PortWidth width) => width switch
    {
        PortWidth.Byte => "b",
        PortWidth.Word => "w",
        _ => "l",
    };

    private static ulong Number(string reply) => Convert.ToUInt64(reply["OK 0x".Length..], 16);

    private string Ok(string line)
    {
        var reply = channel.Command(line);
        return reply.StartsWith("OK", StringComparison.Ordinal) ? reply : throw new InvalidOperationException($"'{line}' answered '{reply}'");
    }
}
