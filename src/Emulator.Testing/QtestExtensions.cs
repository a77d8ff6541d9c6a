using System.Buffers.Binary;
using Emulator.Machine.Bus;

namespace Emulator.Testing;

/// <summary>libqtest's width-named accessors (<c>qtest_inb</c>, <c>qtest_writel</c>, <c>qtest_memread</c>…) over any <see cref="IQtest"/>.</summary>
public static class QtestExtensions
{
    /// <summary>libqtest's <c>qtest_inb</c>: a byte from I/O port <paramref name="port"/>.</summary>
    public static byte InB(this IQtest qtest, ushort port) => (byte)Checked(qtest).In(port, PortWidth.Byte);

    /// <summary>libqtest's <c>qtest_inw</c>: a word from I/O port <paramref name="port"/>.</summary>
    public static ushort InW(this IQtest qtest, ushort port) => (ushort)Checked(qtest).In(port, PortWidth.Word);

    /// <summary>libqtest's <c>qtest_inl</c>: a dword from I/O port <paramref name="port"/>.</summary>
    public static uint InL(this IQtest qtest, ushort port) => Checked(qtest).In(port, PortWidth.Dword);

    /// <summary>libqtest's <c>qtest_outb</c>: <paramref name="value"/> to I/O port <paramref name="port"/>.</summary>
    public static void OutB(this IQtest qtest, ushort port, byte value) => Checked(qtest).Out(port, PortWidth.Byte, value);

    /// <summary>libqtest's <c>qtest_outw</c>.</summary>
    public static void OutW(this IQtest qtest, ushort port, ushort value) => Checked(qtest).Out(port, PortWidth.Word, value);

    /// <summary>libqtest's <c>qtest_outl</c>.</summary>
    public static void OutL(this IQtest qtest, ushort port, uint value) => Checked(qtest).Out(port, PortWidth.Dword, value);

    /// <summary>libqtest's <c>qtest_readb</c>: the byte at guest physical <paramref name="address"/>.</summary>
    public static byte ReadB(this IQtest qtest, ulong address)
    {
        Span<byte> data = stackalloc byte[1];
        Checked(qtest).Read(address, data);
        return data[0];
    }

    /// <summary>libqtest's <c>qtest_readw</c>: the little-endian word at guest physical <paramref name="address"/>.</summary>
    public static ushort ReadW(this IQtest qtest, ulong address)
    {
        Span<byte> data = stackalloc byte[2];
        Checked(qtest).Read(address, data);
        return BinaryPrimitives.ReadUInt16LittleEndian(data);
    }

    /// <summary>libqtest's <c>qtest_readl</c>: the little-endian dword at <paramref name="address"/>.</summary>
    public static uint ReadL(this IQtest qtest, ulong address)
    {
        Span<byte> data = stackalloc byte[4];
        Checked(qtest).Read(address, data);
        return BinaryPrimitives.ReadUInt32LittleEndian(data);
    }

    /// <summary>libqtest's <c>qtest_readq</c>: the little-endian qword at <paramref name="address"/>.</summary>
    public static ulong ReadQ(this IQtest qtest, ulong address)
    {
        Span<byte> data = stackalloc byte[8];
        Checked(qtest).Read(address, data);
        return BinaryPrimitives.ReadUInt64LittleEndian(data);
    }

    /// <summary>libqtest's <c>qtest_writeb</c>: <paramref name="value"/> at guest physical <paramref name="address"/>.</summary>
    public static void WriteB(this IQtest qtest, ulong address, byte value) => Checked(qtest).Write(address, [value]);

    /// <summary>libqtest's <c>qtest_writew</c>, little-endian.</summary>
    public static void WriteW(this IQtest qtest, ulong address, ushort value)
    {
        Span<byte> data = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(data, value);
        Checked(qtest).Write(address, data);
    }

    /// <summary>libqtest's <c>qtest_writel</c>, little-endian.</summary>
    public static void WriteL(this IQtest qtest, ulong address, uint value)
    {
        Span<byte> data = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(data, value);
        Checked(qtest).Write(address, data);
    }

    /// <summary>libqtest's <c>qtest_writeq</c>, little-endian.</summary>
    public static void WriteQ(this IQtest qtest, ulong address, ulong value)
    {
        Span<byte> data = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(data, value);
        Checked(qtest).Write(address, data);
    }

    /// <summary><c>qtest_memread</c> into a new array of <paramref name="length"/> bytes.</summary>
    public static byte[] Memread(this IQtest qtest, ulong address, int length)
    {
        var data = new byte[length];
        Checked(qtest).Read(address, data);
        return data;
    }

    private static IQtest Checked(IQtest qtest)
    {
        ArgumentNullException.ThrowIfNull(qtest);
        return qtest;
    }
}
