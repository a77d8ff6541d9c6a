using System.Buffers.Binary;

namespace Emulator.Machine.Bus;

/// <summary>
/// The 64K x86 I/O port space. Devices claim port ranges while the machine is being built;
/// <see cref="Freeze"/> then fixes one lookup table, so a port access is one array index.
/// Unclaimed reads float high (all ones) and unclaimed writes are dropped, as on a PC's ISA bus.
/// An access of a width the owner did not declare is split into byte accesses here, once.
/// </summary>
public sealed class IoPortBus
{
    private const int PortCount = 0x10000;

    private readonly IPortDevice?[] _owners = new IPortDevice?[PortCount];
    private readonly PortWidths[] _widths = new PortWidths[PortCount];
    private bool _frozen;

    /// <summary>Raised after every write (port, width, value); tests use it to stop on a port write.</summary>
    public event Action<ushort, PortWidth, uint>? PortWritten;

    /// <summary>True once <see cref="Freeze"/> has run: the port table is fixed and <see cref="Register"/> throws.</summary>
    public bool IsFrozen => _frozen;

    /// <summary>Claims <paramref name="count"/> ports from <paramref name="first"/> for <paramref name="device"/>.</summary>
    /// <exception cref="InvalidOperationException">The bus is frozen or a port is already claimed.</exception>
    public void Register(IPortDevice device, ushort first, int count, PortWidths widths = PortWidths.Byte)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (_frozen)
        {
            throw new InvalidOperationException("The port bus is frozen; devices register before the machine starts.");
        }

        if (count <= 0 || first + count > PortCount)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"Port range 0x{first:X4}+{count} is outside the I/O space.");
        }

        if ((widths & PortWidths.Byte) == 0)
        {
            throw new ArgumentException("A device must at least serve byte accesses; wider ones are split into bytes.", nameof(widths));
        }

        for (var p = (int)first; p < first + count; p++)
        {
            if (_owners[p] is { } other)
            {
                throw new InvalidOperationException($"Port 0x{p:X4} is already claimed by {other.GetType().Name}.");
            }
        }

        for (var p = (int)first; p < first + count; p++)
        {
            _owners[p] = device;
            _widths[p] = widths;
        }
    }

    /// <summary>Frees <paramref name="count"/> ports from <paramref name="first"/> (a device removed before the machine started).</summary>
    /// <exception cref="InvalidOperationException">The bus is frozen.</exception>
    internal void Unregister(ushort first, int count)
    {
        if (_frozen)
        {
            throw new InvalidOperationException("The port bus is frozen; ports stay claimed once the machine has started.");
        }

        for (var p = (int)first; p < first + count; p++)
        {
            _owners[p] = null;
            _widths[p] = default;
        }
    }

    /// <summary>Fixes the table. Registration after this throws.</summary>
    public void Freeze() => _frozen = true;

    /// <summary>The device that owns <paramref name="port"/>, if any.</summary>
    public IPortDevice? OwnerOf(ushort port) => _owners[port];

    /// <summary>
    /// Reads <paramref name="width"/> bytes at <paramref name="port"/> from its owner, masked to the width. An owner
    /// that does not serve the width gets byte accesses to consecutive ports instead; unclaimed ports read 0xFF per
    /// byte. Called on the machine thread.
    /// </summary>
    public uint Read(ushort port, PortWidth width)
    {
        var owner = _owners[port];
        if (owner is not null && (_widths[port] & (PortWidths)width) != 0)
        {
            return owner.Read(port, width) & Mask(width);
        }

        return width switch
        {
            PortWidth.Byte => ReadByteSlow(port),
            PortWidth.Word => ReadByteSlow(port) | (ReadByteSlow((ushort)(port + 1)) << 8),
            _ => ReadByteSlow(port)
                 | (ReadByteSlow((ushort)(port + 1)) << 8)
                 | (ReadByteSlow((ushort)(port + 2)) << 16)
                 | (ReadByteSlow((ushort)(port + 3)) << 24),
        };
    }

    /// <summary>
    /// Writes the low <paramref name="width"/> bytes of <paramref name="value"/> at <paramref name="port"/> (split
    /// into byte writes when the owner does not serve the width; unclaimed ports drop them), then raises <see
    /// cref="PortWritten"/>. Called on the machine thread.
    /// </summary>
    public void Write(ushort port, PortWidth width, uint value)
    {
        var owner = _owners[port];
        if (owner is not null && (_widths[port] & (PortWidths)width) != 0)
        {
            owner.Write(port, width, value & Mask(width));
        }
        else
        {
            for (var i = 0; i < (int)width; i++)
            {
                var p = (ushort)(port + i);
                _owners[p]?.Write(p, PortWidth.Byte, (value >> (8 * i)) & 0xFF);
            }
        }

        PortWritten?.Invoke(port, width, value & Mask(width));
    }

    /// <summary>One-byte <see cref="Read"/>.</summary>
    public byte ReadByte(ushort port) => (byte)Read(port, PortWidth.Byte);

    /// <summary>One-byte <see cref="Write"/>.</summary>
    public void WriteByte(ushort port, byte value) => Write(port, PortWidth.Byte, value);

    /// <summary>
    /// String input: fills <paramref name="destination"/> with <c>Length / width</c> elements read from
    /// one port, using the owner's block fast path when it has one.
    /// </summary>
    public void ReadBlock(ushort port, PortWidth width, Span<byte> destination)
    {
        var step = (int)width;
        var done = 0;
        if (_owners[port] is IPortBlockDevice block && (_widths[port] & (PortWidths)width) != 0)
        {
            done = block.ReadString(port, width, destination) * step;
        }

        for (; done + step <= destination.Length; done += step)
        {
            var value = Read(port, width);
            WriteElement(destination.Slice(done, step), width, value);
        }
    }

    /// <summary>String output: writes <c>Length / width</c> elements of <paramref name="source"/> to one port.</summary>
    public void WriteBlock(ushort port, PortWidth width, ReadOnlySpan<byte> source)
    {
        var step = (int)width;
        var done = 0;
        if (_owners[port] is IPortBlockDevice block && (_widths[port] & (PortWidths)width) != 0)
        {
            done = block.WriteString(port, width, source) * step;
            if (done > 0 && PortWritten is { } written)
            {
                // Observers see the last element of the block; per-element notification would defeat the fast path.
                written(port, width, ReadElement(source.Slice(done - step, step), width));
            }
        }

        for (; done + step <= source.Length; done += step)
        {
            Write(port, width, ReadElement(source.Slice(done, step), width));
        }
    }

    private uint ReadByteSlow(ushort port) => _owners[port]?.Read(port, PortWidth.Byte) & 0xFF ?? 0xFF;

    private static uint Mask(PortWidth width) => width switch
    {
        PortWidth.Byte => 0xFF,
        PortWidth.Word => 0xFFFF,
        _ => 0xFFFF_FFFF,
    };

    private static uint ReadElement(ReadOnlySpan<byte> bytes, PortWidth width) => width switch
    {
        PortWidth.Byte => bytes[0],
        PortWidth.Word => BinaryPrimitives.ReadUInt16LittleEndian(bytes),
        _ => BinaryPrimitives.ReadUInt32LittleEndian(bytes),
    };

    private static void WriteElement(Span<byte> bytes, PortWidth width, uint value)
    {
        switch (width)
        {
            case PortWidth.Byte:
                bytes[0] = (byte)value;
                break;
            case PortWidth.Word:
                BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)value);
                break;
            default:
                BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
                break;
        }
    }
}
