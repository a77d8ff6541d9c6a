using System.Globalization;
using Emulator.Machine.Bus;
using Emulator.Machine.Loop;

namespace Emulator.Monitor.Qtest;

/// <summary>
/// The qtest command set over one machine (QEMU's docs/devel/qtest.rst), shared by the socket protocol
/// (<see cref="QtestSession"/>) and the in-process harness: <see cref="Execute"/> takes a command line and
/// returns the reply line; the typed members below are what the line verbs do, so a harness that calls
/// them sees what a socket client sees. Every member runs on the machine thread (the caller's executor
/// puts it there). Intercepted interrupt lines are reported to the sink given at construction, on the
/// machine thread, as they change.
/// </summary>
public sealed class QtestCommands : IDisposable
{
    /// <summary>Largest single memory transfer a command may ask for, so a hostile line cannot make the host allocate without bound.</summary>
    public const ulong MaxTransfer = 64 << 20;

    /// <summary>The name (a partial QOM path, as QEMU resolves it) of the I/O APIC.</summary>
    public const string IoApicPath = "ioapic";

    /// <summary>The name of the 8259A pair: inputs are ISA IRQ 0-15, the one output (line 0) is INTR to the CPU.</summary>
    public const string PicPath = "i8259";

    private readonly PcMachine _machine;
    private readonly Action<int, bool> _irq;
    private string? _interceptedDevice;
    private bool _interceptedOutput;

    /// <param name="machine">The machine the commands act on.</param>
    /// <param name="irq">Receives intercepted line changes (line, level): QEMU's <c>IRQ raise N</c>/<c>IRQ lower N</c>.</param>
    public QtestCommands(PcMachine machine, Action<int, bool> irq)
    {
        ArgumentNullException.ThrowIfNull(machine);
        ArgumentNullException.ThrowIfNull(irq);
        _machine = machine;
        _irq = irq;
    }

    /// <summary>Runs one command line and returns the reply line (<c>OK …</c>, <c>FAIL …</c> or <c>ERR …</c>).</summary>
    public string Execute(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            return "FAIL Unknown command ''";
        }

        try
        {
            return words[0] switch
            {
                "outb" or "outw" or "outl" => OutLine(words),
                "inb" or "inw" or "inl" => InLine(words),
                "writeb" or "writew" or "writel" or "writeq" => WriteValue(words),
                "readb" or "readw" or "readl" or "readq" => ReadValue(words),
                "read" => ReadHex(words),
                "write" => WriteHex(words),
                "b64read" => ReadBase64(words),
                "b64write" => WriteBase64(words),
                "memset" => MemsetLine(words),
                "clock_step" => ClockStepLine(words),
                "clock_set" => ClockSetLine(words),
                "irq_intercept_in" => InterceptLine(words, output: false),
                "irq_intercept_out" => InterceptLine(words, output: true),
                "endianness" => "OK little",
                _ => $"FAIL Unknown command '{words[0]}'",
            };
        }
        catch (FormatException e)
        {
            return $"ERR {e.Message}";
        }
    }

    /// <summary><c>in{b,w,l} PORT</c>: reads the port bus (unclaimed ports float high).</summary>
    public uint In(ushort port, PortWidth width) => _machine.Ports.Read(port, width);

    /// <summary><c>out{b,w,l} PORT VALUE</c>.</summary>
    public void Out(ushort port, PortWidth width, uint value) => _machine.Ports.Write(port, width, value);

    /// <summary><c>read</c>/<c>b64read</c>/<c>read{b,w,l,q}</c>: the 64-bit physical view (nothing wraps at 4 GiB, nothing above it).</summary>
    public void Read(ulong address, Span<byte> data) => _machine.Memory.ReadPhysical(address, data);

    /// <summary><c>write</c>/<c>b64write</c>/<c>write{b,w,l,q}</c>.</summary>
    public void Write(ulong address, ReadOnlySpan<byte> data) => _machine.Memory.WritePhysical(address, data);

    /// <summary><c>memset ADDR SIZE VALUE</c>.</summary>
    public void Memset(ulong address, int size, byte value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var data = new byte[size];
        Array.Fill(data, value);
        _machine.Memory.WritePhysical(address, data);
    }

    /// <summary>
    /// <c>clock_step [NS]</c>: advances virtual time by <paramref name="nanoseconds"/>, or without it to the next
    /// timer deadline; returns the new time, or null (QEMU's <c>FAIL</c>) when no timer is armed.
    /// </summary>
    public long? ClockStep(ulong? nanoseconds = null)
    {
        var clock = _machine.Clock;
        long target;
        if (nanoseconds is { } step)
        {
            target = checked(clock.Now + (long)Math.Min(step, long.MaxValue / 2));
        }
        else if (clock.NextDeadline is { } deadline)
        {
            target = deadline;
        }
        else
        {
            return null;
        }

        clock.AdvanceTo(target);
        return clock.Now;
    }

    /// <summary><c>clock_set NS</c>: advances virtual time to <paramref name="time"/>; false (and the time unchanged) when that is in the past.</summary>
    public bool ClockSet(ulong time, out long now)
    {
        var target = (long)Math.Min(time, long.MaxValue / 2);
        var clock = _machine.Clock;
        if (target < clock.Now)
        {
            now = clock.Now;
            return false;
        }

        clock.AdvanceTo(target);
        now = clock.Now;
        return true;
    }

    /// <summary>
    /// <c>irq_intercept_in PATH</c> / <c>irq_intercept_out PATH</c>: from now on the device's input lines (the I/O APIC's
    /// 24, the 8259A pair's 16 ISA IRQs) or output lines (the 8259A pair's INTR, line 0) are reported to the sink.
    /// Intercepted inputs are not delivered; an intercepted INTR is reported and still reaches the CPU. As in QEMU,
    /// one device may be intercepted per connection: the same device again is a no-op, another one a failure.
    /// Returns null on success, else the failure text.
    /// </summary>
    public string? Intercept(string path, bool output)
    {
        ArgumentNullException.ThrowIfNull(path);
        var device = path.Contains(IoApicPath, StringComparison.Ordinal) ? IoApicPath
            : path.Contains(PicPath, StringComparison.Ordinal) ? PicPath
            : null;
        if (device is null || (output && device == IoApicPath))
        {
            return "Unknown device";
        }

        if (_interceptedDevice is not null)
        {
            return _interceptedDevice == device ? null : "Interception already enabled";
        }

        _interceptedDevice = device;
        _interceptedOutput = output;
        var chipset = _machine.Chipset;
        if (device == IoApicPath)
        {
            chipset.IoApic.Intercepted = true;
            chipset.IoApic.InputChanged += _irq;
        }
        else if (output)
        {
            chipset.Pic.InterruptOutputChanged += OnPicOutput;
        }
        else
        {
            chipset.Pic.Intercepted = true;
            chipset.Pic.InputChanged += _irq;
        }

        return null;
    }

    /// <summary>Stops reporting intercepted lines to the sink (the connection closed). Delivery stays as it was.</summary>
    public void Dispose()
    {
        var chipset = _machine.Chipset;
        switch (_interceptedDevice)
        {
            case IoApicPath:
                chipset.IoApic.InputChanged -= _irq;
                break;
            case PicPath when _interceptedOutput:
                chipset.Pic.InterruptOutputChanged -= OnPicOutput;
                break;
            case PicPath:
                chipset.Pic.InputChanged -= _irq;
                break;
        }
    }

    private void OnPicOutput(bool level) => _irq(0, level);

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

    private static ushort Port(string[] words) =>
        Number(words, 1, "port") is var port && port <= ushort.MaxValue ? (ushort)port : throw new FormatException("port beyond 0xffff");

    private string OutLine(string[] words)
    {
        var port = Port(words);
        Out(port, (PortWidth)Width(words[0]), (uint)Number(words, 2, "value"));
        return "OK";
    }

    private string InLine(string[] words) => $"OK 0x{In(Port(words), (PortWidth)Width(words[0])):x4}";

    private string WriteValue(string[] words)
    {
        var address = Address(words);
        var value = Number(words, 2, "value");
        Span<byte> bytes = stackalloc byte[8];
        BitConverter.TryWriteBytes(bytes, value);
        Write(address, bytes[..Width(words[0])]);
        return "OK";
    }

    private string ReadValue(string[] words)
    {
        var address = Address(words);
        Span<byte> bytes = stackalloc byte[8];
        bytes.Clear();
        Read(address, bytes[..Width(words[0])]);
        return $"OK 0x{BitConverter.ToUInt64(bytes):x16}";
    }

    private string ReadHex(string[] words) => $"OK 0x{Convert.ToHexStringLower(ReadRange(words))}";

    /// <summary>The guest bytes a <c>read</c> or <c>b64read</c> line names: its address and size.</summary>
    private byte[] ReadRange(string[] words)
    {
        var data = new byte[Size(words)];
        Read(Address(words), data);
        return data;
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

        Write(address, data);
        return "OK";
    }

    private string ReadBase64(string[] words) => $"OK {Convert.ToBase64String(ReadRange(words))}";

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
        Write(address, data);
        return "OK";
    }

    private string MemsetLine(string[] words)
    {
        var address = Address(words);
        var size = Size(words);
        Memset(address, size, (byte)Number(words, 3, "value"));
        return "OK";
    }

    private string ClockStepLine(string[] words)
    {
        var step = words.Length > 1 ? Number(words, 1, "step") : (ulong?)null;
        return ClockStep(step) is { } now ? $"OK {now.ToString(CultureInfo.InvariantCulture)}" : "FAIL";
    }

    private string ClockSetLine(string[] words) =>
        ClockSet(Number(words, 1, "time"), out var now)
            ? $"OK {now.ToString(CultureInfo.InvariantCulture)}"
            : $"FAIL {now.ToString(CultureInfo.InvariantCulture)}";

    private string InterceptLine(string[] words, bool output) =>
        (words.Length < 2 ? "Unknown device" : Intercept(words[1], output)) is { } failure ? $"FAIL {failure}" : "OK";
}
