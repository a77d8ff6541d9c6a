using System.Buffers.Binary;

namespace Emulator.Machine.Cpu.Fpu;

/// <summary>
/// Memory operands wider than a dword (m64, m80, the 14/28-byte environment and the 94/108-byte save
/// image) through the core's segment checks and the <see cref="MemoryUnit"/>: a read is checked
/// against the segment limit as a whole, and a write is proved (limit and every page, with write
/// intent) before its first byte is written, so a fault leaves memory and the FPU untouched.
/// </summary>
internal sealed class FpuMemory(ExecutionCore core)
{
    private const int Dword = 4;

    public bool TryRead(ref DecodedInstruction d, uint displacement, Span<byte> buffer)
    {
        if (!core.TryLinear(d.Seg, (core.Offset(ref d) + displacement) & d.AddrMask, buffer.Length, out var linear))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Dword];
        for (var i = 0; i < buffer.Length; i += Dword)
        {
            var size = Math.Min(Dword, buffer.Length - i);
            if (!core.Mmu.TryRead(linear + (uint)i, size, out var value))
            {
                return false;
            }

            BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
            bytes[..size].CopyTo(buffer[i..]);
        }

        return true;
    }

    public bool TryWrite(ref DecodedInstruction d, ReadOnlySpan<byte> data)
    {
        if (!core.TryMemoryLinear(ref d, data.Length, out var linear) || !core.Mmu.TryCheckWrite(linear, data.Length))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Dword];
        for (var i = 0; i < data.Length; i += Dword)
        {
            var size = Math.Min(Dword, data.Length - i);
            bytes.Clear();
            data.Slice(i, size).CopyTo(bytes);
            if (!core.Mmu.TryWrite(linear + (uint)i, size, BinaryPrimitives.ReadUInt32LittleEndian(bytes)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Proves a write of <paramref name="length"/> bytes at the operand without writing.</summary>
    public bool TryCheckWrite(ref DecodedInstruction d, int length) =>
        core.TryMemoryLinear(ref d, length, out var linear) && core.Mmu.TryCheckWrite(linear, length);

    public static void WriteFloat80(Span<byte> destination, Float80 value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, value.Significand);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[8..], value.SignExponent);
    }

    public static Float80 ReadFloat80(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt64LittleEndian(source), BinaryPrimitives.ReadUInt16LittleEndian(source[8..]));
}
