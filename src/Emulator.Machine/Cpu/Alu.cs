using System.Numerics;
using System.Runtime.CompilerServices;

namespace Emulator.Machine.Cpu;

/// <summary>
/// Integer arithmetic with the flags a 386 produces. Operands arrive already masked to the operand
/// size (1, 2 or 4 bytes); results are returned masked. Flags are computed eagerly (parity with a
/// popcount): simple, and already above the 50 M instructions/s target on the benchmark loop, so no
/// lazy-flags scheme was tried.
/// </summary>
internal static class Alu
{
    public const uint ByteMask = 0xFF;
    public const uint WordMask = 0xFFFF;
    public const uint DwordMask = 0xFFFF_FFFF;
    public const uint HighWordMask = 0xFFFF_0000;

    private const uint AdjustBit = 0x10;
    private const int SignFlagBit = 7;
    private const int ParityFlagBit = 2;
    private const int OverflowFlagBit = 11;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Mask(int size) => size == 4 ? DwordMask : (1u << (size * 8)) - 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Bits(int size) => size * 8;

    /// <summary>SF, ZF and PF of a masked result.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint SignZeroParity(uint result, int size)
    {
        var flags = ((result >> (Bits(size) - 1)) & 1) << SignFlagBit;
        if (result == 0)
        {
            flags |= Eflags.Zero;
        }

        return flags | ((uint)(~BitOperations.PopCount(result & ByteMask) & 1) << ParityFlagBit);
    }

    /// <summary>Runs one of ADD OR ADC SBB AND SUB XOR CMP TEST and updates the six status flags.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Binary(Op op, uint a, uint b, int size, ref uint flags)
    {
        switch (op)
        {
            case Op.Add: return Add(a, b, 0, size, ref flags);
            case Op.Adc: return Add(a, b, flags & Eflags.Carry, size, ref flags);
            case Op.Sub or Op.Cmp: return Sub(a, b, 0, size, ref flags);
            case Op.Sbb: return Sub(a, b, flags & Eflags.Carry, size, ref flags);
            case Op.Or: return Logic(a | b, size, ref flags);
            case Op.Xor: return Logic(a ^ b, size, ref flags);
            default: return Logic(a & b, size, ref flags);
        }
    }

    public static uint Add(uint a, uint b, uint carry, int size, ref uint flags)
    {
        var wide = (ulong)a + b + carry;
        var result = (uint)wide & Mask(size);
        var bits = Bits(size);
        var f = SignZeroParity(result, size)
            | ((uint)(wide >> bits) & Eflags.Carry)
            | ((a ^ b ^ result) & AdjustBit)
            | ((((a ^ result) & (b ^ result)) >> (bits - 1)) & 1) << OverflowFlagBit;
        flags = (flags & ~Eflags.Status) | f;
        return result;
    }

    public static uint Sub(uint a, uint b, uint borrow, int size, ref uint flags)
    {
        var result = (a - b - borrow) & Mask(size);
        var bits = Bits(size);
        var f = SignZeroParity(result, size)
            | ((ulong)a < (ulong)b + borrow ? Eflags.Carry : 0)
            | ((a ^ b ^ result) & AdjustBit)
            | ((((a ^ b) & (a ^ result)) >> (bits - 1)) & 1) << OverflowFlagBit;
        flags = (flags & ~Eflags.Status) | f;
        return result;
    }

    /// <summary>AND/OR/XOR/TEST: CF = OF = 0, AF cleared (undefined on the 386).</summary>
    public static uint Logic(uint result, int size, ref uint flags)
    {
        flags = (flags & ~Eflags.Status) | SignZeroParity(result, size);
        return result;
    }

    /// <summary>INC/DEC: like ADD/SUB of one but CF is kept.</summary>
    public static uint IncDec(uint a, bool decrement, int size, ref uint flags)
    {
        var carry = flags & Eflags.Carry;
        var result = decrement ? Sub(a, 1, 0, size, ref flags) : Add(a, 1, 0, size, ref flags);
        flags = (flags & ~Eflags.Carry) | carry;
        return result;
    }
}
