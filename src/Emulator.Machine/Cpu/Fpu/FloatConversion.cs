using System.Numerics;

namespace Emulator.Machine.Cpu.Fpu;

/// <summary>
/// Conversions between the 80-bit format and the x87 memory formats: single (m32fp), double (m64fp),
/// two's-complement integers (m16int, m32int, m64int) and 18-digit packed BCD (m80bcd)
/// (Intel SDM vol. 1, 4.2 and 8.2). Loads are exact; stores round with the control word.
/// </summary>
internal static class FloatConversion
{
    private const int SingleFractionBits = 23;
    private const int DoubleFractionBits = 52;
    private const int SingleBias = 127;
    private const int DoubleBias = 1023;
    private const uint SingleExponentMax = 0xFF;
    private const uint DoubleExponentMax = 0x7FF;
    private const uint SingleSign = 1u << 31;
    private const ulong DoubleSign = 1UL << 63;
    private const uint SingleQuiet = 1u << (SingleFractionBits - 1);
    private const ulong DoubleQuiet = 1UL << (DoubleFractionBits - 1);

    /// <summary>The integer indefinite a masked IE stores (the most negative integer of the size).</summary>
    public static ulong IntegerIndefinite(int bytes) => 1UL << ((8 * bytes) - 1);

    public static Float80 FromInt64(long value)
    {
        if (value == 0)
        {
            return Float80.PositiveZero;
        }

        var negative = value < 0;
        var magnitude = negative ? (ulong)-(value + 1) + 1 : (ulong)value;
        var shift = BitOperations.LeadingZeroCount(magnitude);
        var biased = Float80.Bias + ExtendedArithmetic.IntegerBitIndex - shift;
        return new Float80(magnitude << shift, (ushort)(biased | (negative ? Float80.SignBit : 0)));
    }

    public static Float80 FromSingle(ref FloatContext ctx, uint bits) =>
        FromBinary(ref ctx, (bits & SingleSign) != 0, (bits >> SingleFractionBits) & SingleExponentMax, bits & (SingleQuiet * 2 - 1),
            SingleFractionBits, SingleBias, SingleExponentMax);

    public static Float80 FromDouble(ref FloatContext ctx, ulong bits) =>
        FromBinary(ref ctx, (bits & DoubleSign) != 0, (uint)((bits >> DoubleFractionBits) & DoubleExponentMax), bits & (DoubleQuiet * 2 - 1),
            DoubleFractionBits, DoubleBias, DoubleExponentMax);

    /// <summary>FST m32fp: NaNs keep their top fraction bits, an SNaN becomes quiet (IE).</summary>
    public static uint ToSingle(ref FloatContext ctx, Float80 v)
    {
        var bits = ToBinary(ref ctx, v, FloatFormat.Single, SingleFractionBits, SingleBias);
        return (uint)bits | (v.Sign ? SingleSign : 0);
    }

    /// <summary>FST m64fp.</summary>
    public static ulong ToDouble(ref FloatContext ctx, Float80 v)
    {
        var bits = ToBinary(ref ctx, v, FloatFormat.Double, DoubleFractionBits, DoubleBias);
        return bits | (v.Sign ? DoubleSign : 0);
    }

    /// <summary>
    /// FIST/FISTP/FRNDINT's integer part: rounds with RC. False when the value is a NaN, infinity or
    /// unsupported, or does not fit in <paramref name="bytes"/> bytes (IE raised).
    /// </summary>
    public static bool TryToInteger(ref FloatContext ctx, Float80 v, int bytes, out long value)
    {
        value = 0;
        if (v.IsNaN || v.IsInfinity || v.IsUnsupported)
        {
            ctx.Raise(FpuStatus.InvalidOperation);
            return false;
        }

        // No DE here: FIST, FISTP and FBSTP list only #IS, #IA and #P (Intel SDM vol. 2A).
        if (v.IsZero)
        {
            return true;
        }

        var exp = ExtendedArithmetic.Exponent(v);
        var limit = (UInt128)1 << ((8 * bytes) - 1);
        if (exp >= 8 * bytes)
        {
            ctx.Raise(FpuStatus.InvalidOperation);
            return false;
        }

        var magnitude = RoundMagnitude(ref ctx, v.Sign, exp, ExtendedArithmetic.Normalized(v));
        if (magnitude > limit || (magnitude == limit && !v.Sign))
        {
            ctx.Raise(FpuStatus.InvalidOperation);
            return false;
        }

        value = v.Sign ? (long)(0 - (ulong)magnitude) : (long)(ulong)magnitude;
        return true;
    }

    /// <summary>FRNDINT: the value rounded to an integer with RC, in the 80-bit format (a zero keeps the operand's sign).</summary>
    public static Float80 RoundToIntegral(ref FloatContext ctx, Float80 v)
    {
        if (ExtendedArithmetic.TrySpecialNaN(ref ctx, v, v, out var special))
        {
            return special;
        }

        if (v.IsZero || v.IsInfinity)
        {
            return v;
        }

        if (ExtendedArithmetic.CheckDenormal(ref ctx, v, v))
        {
            return default;
        }

        var exp = ExtendedArithmetic.Exponent(v);
        if (exp >= ExtendedArithmetic.IntegerBitIndex)
        {
            return v;
        }

        var magnitude = (ulong)RoundMagnitude(ref ctx, v.Sign, exp, ExtendedArithmetic.Normalized(v));
        return magnitude == 0 ? Float80.Zero(v.Sign) : FromInt64((long)magnitude).WithSign(v.Sign);
    }

    /// <summary>FBLD: 18 packed BCD digits and a sign byte; exact.</summary>
    public static Float80 FromBcd(ReadOnlySpan<byte> bcd)
    {
        const int DigitBytes = 9;
        long value = 0;
        for (var i = DigitBytes - 1; i >= 0; i--)
        {
            value = (value * 100) + ((bcd[i] >> 4) * 10) + (bcd[i] & 0xF);
        }

        var result = FromInt64(value);
        return (bcd[DigitBytes] & 0x80) != 0 ? result.Negate() : result;
    }

    /// <summary>FBSTP: rounds with RC; false (IE) past 18 digits or for a NaN/infinity, and the caller stores the BCD indefinite.</summary>
    public static bool TryToBcd(ref FloatContext ctx, Float80 v, Span<byte> bcd)
    {
        const long Limit = 999_999_999_999_999_999;
        const int DigitBytes = 9;
        if (!TryToInteger(ref ctx, v, 8, out var value) || value > Limit || value < -Limit)
        {
            if (!v.IsNaN && !v.IsInfinity && !v.IsUnsupported)
            {
                ctx.Raise(FpuStatus.InvalidOperation);
            }

            return false;
        }

        var magnitude = (ulong)Math.Abs(value);
        for (var i = 0; i < DigitBytes; i++)
        {
            var pair = magnitude % 100;
            magnitude /= 100;
            bcd[i] = (byte)(((pair / 10) << 4) | (pair % 10));
        }

        bcd[DigitBytes] = v.Sign ? (byte)0x80 : (byte)0;
        return true;
    }

    /// <summary>The packed BCD indefinite (Intel SDM vol. 1, table 4-3).</summary>
    public static void WriteBcdIndefinite(Span<byte> bcd)
    {
        bcd.Clear();
        bcd[7] = 0xC0;
        bcd[8] = 0xFF;
        bcd[9] = 0xFF;
    }

    /// <summary>
    /// The value as a host double, rounded to nearest. Only for the transcendental instructions, which
    /// compute in double precision (see <see cref="Transcendental"/>).
    /// </summary>
    public static double ToHostDouble(Float80 v)
    {
        var ctx = new FloatContext(FpuControl.InitValue);
        return BitConverter.UInt64BitsToDouble(ToDouble(ref ctx, v));
    }

    public static Float80 FromHostDouble(double value)
    {
        var ctx = new FloatContext(FpuControl.InitValue);
        return FromDouble(ref ctx, BitConverter.DoubleToUInt64Bits(value));
    }

    /// <summary>Rounds <c>sig × 2^(exp − 63)</c> (exp &lt; 63) to an integer magnitude with RC; PE and C1 as a store would set them.</summary>
    private static UInt128 RoundMagnitude(ref FloatContext ctx, bool sign, int exp, ulong sig)
    {
        UInt128 integer;
        UInt128 rest;
        UInt128 half;
        UInt128 wide = (UInt128)sig << 64;
        if (exp < 0)
        {
            integer = 0;
            // value × 2^127 = wide × 2^exp: one half is then bit 126.
            rest = Rounder.ShiftRightJam(wide, -exp);
            half = UInt128.One << 126;
        }
        else
        {
            var fractionBits = ExtendedArithmetic.IntegerBitIndex + 64 - exp;
            integer = wide >> fractionBits;
            rest = wide & ((UInt128.One << fractionBits) - 1);
            half = UInt128.One << (fractionBits - 1);
        }

        if (rest == UInt128.Zero)
        {
            return integer;
        }

        ctx.Raise(FpuStatus.Precision);
        var increment = ctx.Rounding switch
        {
            RoundingMode.Nearest => rest > half || (rest == half && (integer & 1) != UInt128.Zero),
            RoundingMode.Up => !sign,
            RoundingMode.Down => sign,
            _ => false,
        };
        ctx.RoundedUp = increment;
        return increment ? integer + 1 : integer;
    }

    private static Float80 FromBinary(ref FloatContext ctx, bool sign, uint exponent, ulong fraction, int fractionBits, int bias, uint exponentMax)
    {
        var toTop = ExtendedArithmetic.IntegerBitIndex - fractionBits;
        if (exponent == exponentMax)
        {
            if (fraction == 0)
            {
                return Float80.Infinity(sign);
            }

            var nan = new Float80(Float80.IntegerBit | (fraction << toTop), (ushort)(Float80.MaxBiased | (sign ? Float80.SignBit : 0)));
            if (nan.IsSignalingNaN)
            {
                ctx.Raise(FpuStatus.InvalidOperation);
                return nan.Quieted();
            }

            return nan;
        }

        if (exponent == 0)
        {
            if (fraction == 0)
            {
                return Float80.Zero(sign);
            }

            ctx.Raise(FpuStatus.Denormal);
            var shift = BitOperations.LeadingZeroCount(fraction);
            var unbiased = 1 - bias - fractionBits + (ExtendedArithmetic.IntegerBitIndex - shift);
            return new Float80(fraction << shift, (ushort)((unbiased + Float80.Bias) | (sign ? Float80.SignBit : 0)));
        }

        var biased = (int)exponent - bias + Float80.Bias;
        return new Float80(Float80.IntegerBit | (fraction << toTop), (ushort)(biased | (sign ? Float80.SignBit : 0)));
    }

    /// <summary>The format's bits without the sign.</summary>
    private static ulong ToBinary(ref FloatContext ctx, Float80 v, FloatFormat format, int fractionBits, int bias)
    {
        var toTop = ExtendedArithmetic.IntegerBitIndex - fractionBits;
        var exponentMax = (ulong)((2 * bias) + 1);
        var infinity = exponentMax << fractionBits;
        var quiet = 1UL << (fractionBits - 1);
        if (v.IsUnsupported)
        {
            // The indefinite: negative quiet NaN with only the quiet bit (the caller adds no sign to it).
            ctx.Raise(FpuStatus.InvalidOperation);
            return infinity | quiet | (exponentMax + 1) << fractionBits;
        }

        if (v.IsNaN)
        {
            if (v.IsSignalingNaN)
            {
                ctx.Raise(FpuStatus.InvalidOperation);
            }

            return infinity | quiet | ((v.Significand & Float80.FractionMask) >> toTop);
        }

        if (v.IsInfinity)
        {
            return infinity;
        }

        // No DE for a denormal source: FST/FSTP list #IS, #IA, #U, #O, #P (Intel SDM vol. 2A); it underflows instead.
        if (v.IsZero)
        {
            return 0;
        }

        var rounded = Rounder.Round(ref ctx, v.Sign, ExtendedArithmetic.Exponent(v), (UInt128)ExtendedArithmetic.Normalized(v) << 64, format, false);
        if (rounded.IsInfinity)
        {
            return infinity;
        }

        if (rounded.IsZero)
        {
            return 0;
        }

        var exp = ExtendedArithmetic.Exponent(rounded);
        var sig = ExtendedArithmetic.Normalized(rounded);
        if (exp >= format.MinExponent)
        {
            return ((ulong)(exp + bias) << fractionBits) | ((sig & Float80.FractionMask) >> toTop);
        }

        return sig >> (toTop + format.MinExponent - exp);
    }
}
