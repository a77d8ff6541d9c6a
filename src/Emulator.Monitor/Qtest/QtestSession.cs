using System.Globalization;
using System.Text;
using Emulator.Machine.Bus;
using Emulator.Machine.Loop;

namespace Emulator.Monitor.Qtest;

/// <summary>
/// One qtest connection (QEMU's docs/devel/qtest.rst): a line per command, a line per reply, and
/// asynchronous <c>IRQ raise N</c>/<c>IRQ lower N</c> lines for intercepted I/O APIC inputs. Commands
/// run on the machine thread; an IRQ change a command causes is written before that command's reply.
/// Verbs: in/out b/w/l, read/write b/w/l/q, read, write, b64read, b64write, memset, clock_step,
/// clock_set, irq_intercept_in, endianness. Bad input gets <c>FAIL …</c> or <c>ERR …</c>, never a
/// dropped connection.
/// </summary>
public sealed class QtestSession
{
    /// <summary>Largest single memory transfer a command may ask for, so a hostile line cannot make the host allocate without bound.</summary>
    public const ulong MaxTransfer = 64 << 20;

    private readonly Stream _stream;
    private readonly PcMachine _machine;
    private readonly IMonitorExecutor _executor;
    private readonly QtestLog? _log;
    private readonly Lock _writeLock = new();
    private bool _intercepting;
    private bool _broken;

    public QtestSession(Stream stream, PcMachine machine, IMonitorExecutor executor, QtestLog? log = null)
    {
        _stream = stream;
        _machine = machine;
        _executor = executor;
        _log = log;
    }

    /// <summary>
    /// Serves the connection on the calling thread with blocking reads until it closes. A qtest
    /// harness sends one command and waits for its reply, so a dedicated thread answers faster than
    /// an async read that resumes on the thread pool.
    /// </summary>
    public void Run()
    {
        using var reader = new StreamReader(_stream, new UTF8Encoding(false), false, 4096, leaveOpen: true);
        _log?.Opened();
        try
        {
            while (reader.ReadLine() is { } line)
            {
                _log?.Received(line);
                var reply = _executor.Invoke(() => Execute(line));
                Write(reply);
            }
        }
        catch (IOException)
        {
            // The test harness went away.
        }
        catch (ObjectDisposedException)
        {
            // The server shut down.
        }
        finally
        {
            if (_intercepting)
            {
                _machine.Chipset.IoApic.InputChanged -= OnIrq;
            }

            _log?.Closed();
        }
    }

    /// <summary>Runs one command line on the machine thread and returns the reply line.</summary>
    public string Execute(string line)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            return "FAIL Unknown command ''";
        }

        try
        {
            return words[0] switch
            {
                "outb" or "outw" or "outl" => Out(words),
                "inb" or "inw" or "inl" => In(words),
                "writeb" or "writew" or "writel" or "writeq" => WriteValue(words),
                "readb" or "readw" or "readl" or "readq" => ReadValue(words),
                "read" => ReadHex(words),
                "write" => WriteHex(words),
                "b64read" => ReadBase64(words),
                "b64write" => WriteBase64(words),
                "memset" => Memset(words),
                "clock_step" => ClockStep(words),
                "clock_set" => ClockSet(words),
                "irq_intercept_in" => Intercept(words),
                "endianness" => "OK little",
                _ => $"FAIL Unknown command '{words[0]}'",
            };
        }
        catch (FormatException e)
        {
            return $"ERR {e.Message}";
        }
    }

    private static ulong Number(string[] words, int index, string what)
    {
        if (index >= words.Length)
        {
            throw new FormatException($"missing {what}");
        }

        return QtestNumber.TryParse(words[index], out var value) ? value : throw new FormatException($"invalid {what} '{words[index]}'");
    }

    private static int Width(string verb) => verb[^1] switch
    {
        'b' => 1,
        'w' => 2,
        'l' => 4,
        _ => 8,
    };

    /// <summary>A 64-bit physical address, as QEMU's qtest takes it: nothing wraps at 4 GiB (see <see cref="Emulator.Machine.Memory.GuestMemory.ReadPhysical"/>).</summary>
    private static ulong Address(string[] words) => Number(words, 1, "address");

    private static int Size(string[] words) =>
        Number(words, 2, "size") is var size && size <= MaxTransfer ? (int)size : throw new FormatException($"size larger than {MaxTransfer} bytes");

    private string Out(string[] words)
    {
        var port = Number(words, 1, "port");
        var value = Number(words, 2, "value");
        if (port > ushort.MaxValue)
        {
            throw new FormatException("port beyond 0xffff");
        }

        _machine.Ports.Write((ushort)port, (PortWidth)Width(words[0]), (uint)value);
        return "OK";
    }

    private string In(string[] words)
    {
        var port = Number(words, 1, "port");
        if (port > ushort.MaxValue)
        {
            throw new FormatException("port beyond 0xffff");
        }

        return $"OK 0x{_machine.Ports.Read((ushort)port, (PortWidth)Width(words[0])):x4}";
    }

    private string WriteValue(string[] words)
    {
        var address = Address(words);
        var value = Number(words, 2, "value");
        Span<byte> bytes = stackalloc byte[8];
        BitConverter.TryWriteBytes(bytes, value);
        _machine.Memory.WritePhysical(address, bytes[..Width(words[0])]);
        return "OK";
    }

    private string ReadValue(string[] words)
    {
        var address = Address(words);
        Span<byte> bytes = stackalloc byte[8];
        bytes.Clear();
        _machine.Memory.ReadPhysical(address, bytes[..Width(words[0])]);
        return $"OK 0x{BitConverter.ToUInt64(bytes):x16}";
    }

    private string ReadHex(string[] words)
    {
        var data = new byte[Size(words)];
        _machine.Memory.ReadPhysical(Address(words), data);
        return $"OK 0x{Convert.ToHexStringLower(data)}";
    }

    private string WriteHex(string[] words)
    {
        var address = Address(words);
        var size = Size(words);
        if (words.Length < 4 || words[3].Length < 3 || !words[3].StartsWith("0x", StringComparison.Ordinal))
        {
            return "ERR invalid argument size";
        }

        var hex = words[3][2..];
        var data = new byte[size];
        for (var i = 0; i < size && (2 * i) + 1 < hex.Length; i++)
        {
            if (!byte.TryParse(hex.AsSpan(2 * i, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out data[i]))
            {
                throw new FormatException("invalid hex data");
            }
        }

        _machine.Memory.WritePhysical(address, data);
        return "OK";
    }

    private string ReadBase64(string[] words)
    {
        var data = new byte[Size(words)];
        _machine.Memory.ReadPhysical(Address(words), data);
        return $"OK {Convert.ToBase64String(data)}";
    }

    private string WriteBase64(string[] words)
    {
        var address = Address(words);
        var size = Size(words);
        if (words.Length < 4)
        {
            throw new FormatException("missing data");
        }

        byte[] decoded;
        try
        {
            decoded = Convert.FromBase64String(words[3]);
        }
        catch (FormatException)
        {
            throw new FormatException("invalid base64 data");
        }

        var data = new byte[size];
        decoded.AsSpan(0, Math.Min(size, decoded.Length)).CopyTo(data);
        _machine.Memory.WritePhysical(address, data);
        return "OK";
    }

    private string Memset(string[] words)
    {
        var address = Address(words);
        var size = Size(words);
        var value = (byte)Number(words, 3, "value");
        var data = new byte[size];
        Array.Fill(data, value);
        _machine.Memory.WritePhysical(address, data);
        return "OK";
    }

    /// <summary>clock_step NS advances virtual time by NS; without NS, to the next timer deadline (FAIL if none).</summary>
    private string ClockStep(string[] words)
    {
        var clock = _machine.Clock;
        long target;
        if (words.Length > 1)
        {
            target = checked(clock.Now + (long)Math.Min(Number(words, 1, "step"), long.MaxValue / 2));
        }
        else if (clock.NextDeadline is { } deadline)
        {
            target = deadline;
        }
        else
        {
            return "FAIL";
        }

        clock.AdvanceTo(target);
        return $"OK {clock.Now.ToString(CultureInfo.InvariantCulture)}";
    }

    private string ClockSet(string[] words)
    {
        var target = (long)Math.Min(Number(words, 1, "time"), long.MaxValue / 2);
        var clock = _machine.Clock;
        if (target < clock.Now)
        {
            return $"FAIL {clock.Now.ToString(CultureInfo.InvariantCulture)}";
        }

        clock.AdvanceTo(target);
        return $"OK {clock.Now.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>irq_intercept_in ioapic (the PC's only interceptable interrupt controller, named by a partial QOM path).</summary>
    private string Intercept(string[] words)
    {
        if (words.Length < 2 || !words[1].Contains("ioapic", StringComparison.Ordinal))
        {
            return "FAIL Unknown device";
        }

        if (!_intercepting)
        {
            _intercepting = true;
            var ioApic = _machine.Chipset.IoApic;
            ioApic.Intercepted = true;
            ioApic.InputChanged += OnIrq;
        }

        return "OK";
    }

    private void OnIrq(int input, bool level) => Write(level ? $"IRQ raise {input}" : $"IRQ lower {input}");

    private void Write(string line)
    {
        var bytes = Encoding.ASCII.GetBytes(line + "\n");
        lock (_writeLock)
        {
            if (_broken)
            {
                return;
            }

            _log?.Sent(line);
            try
            {
                _stream.Write(bytes);
                _stream.Flush();
            }
            catch (IOException)
            {
                _broken = true;
            }
            catch (ObjectDisposedException)
            {
                _broken = true;
            }
        }
    }
}
