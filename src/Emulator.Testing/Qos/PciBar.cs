using Emulator.Machine.Bus;

namespace Emulator.Testing.Qos;

/// <summary>libqos's QPCIBar: a mapped BAR, read and written at offsets in I/O or memory space as it decodes.</summary>
public sealed class PciBar
{
    private readonly IQtest _qtest;

    internal PciBar(IQtest qtest, ulong address, ulong size, bool io)
    {
        _qtest = qtest;
        Address = address;
        Size = size;
        IsIo = io;
    }

    /// <summary>Where the BAR was placed: an I/O port or a guest physical address.</summary>
    public ulong Address { get; }

    /// <summary>Bytes the BAR decodes.</summary>
    public ulong Size { get; }

    /// <summary>True for an I/O BAR, false for memory.</summary>
    public bool IsIo { get; }

    /// <summary>A byte at <paramref name="offset"/> in the BAR (an <see cref="ArgumentOutOfRangeException"/> past its end).</summary>
    public byte ReadB(ulong offset) => (byte)Read(offset, PortWidth.Byte);

    /// <summary>A little-endian word at <paramref name="offset"/> in the BAR.</summary>
    public ushort ReadW(ulong offset) => (ushort)Read(offset, PortWidth.Word);

    /// <summary>A little-endian dword at <paramref name="offset"/> in the BAR.</summary>
    public uint ReadL(ulong offset) => Read(offset, PortWidth.Dword);

    /// <summary>Writes a byte at <paramref name="offset"/> in the BAR.</summary>
    public void WriteB(ulong offset, byte value) => Write(offset, PortWidth.Byte, value);

    /// <summary>Writes a little-endian word at <paramref name="offset"/> in the BAR.</summary>
    public void WriteW(ulong offset, ushort value) => Write(offset, PortWidth.Word, value);

    /// <summary>Writes a little-endian dword at <paramref name="offset"/> in the BAR.</summary>
    public void WriteL(ulong offset, uint value) => Write(offset, PortWidth.Dword, value);

    private uint Read(ulong offset, PortWidth width)
    {
        Check(offset, width);
        if (IsIo)
        {
            return _qtest.In((ushort)(Address + offset), width);
        }

        return width switch
        {
            PortWidth.Byte => _qtest.ReadB(Address + offset),
            PortWidth.Word => _qtest.ReadW(Address + offset),
            _ => _qtest.ReadL(Address + offset),
        };
    }

    private void Write(ulong offset, PortWidth width, uint value)
    {
        Check(offset, width);
        if (IsIo)
        {
            _qtest.Out((ushort)(Address + offset), width, value);
            return;
        }

        switch (width)
        {
            case PortWidth.Byte:
                _qtest.WriteB(Address + offset, (byte)value);
                break;
            case PortWidth.Word:
                _qtest.WriteW(Address + offset, (ushort)value);
                break;
            default:
                _qtest.WriteL(Address + offset, value);
                break;
        }
    }

    private void Check(ulong offset, PortWidth width)
    {
        if (offset + (ulong)width > Size)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"offset {offset} + {(int)width} beyond the BAR's {Size} bytes");
        }
    }
}
