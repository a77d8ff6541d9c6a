namespace Emulator.Machine.Cpu.Fpu;

/// <summary>
/// Rounds an exact intermediate result to a <see cref="FloatFormat"/> under the control word, with the
/// x87's overflow, underflow and precision rules (Intel SDM vol. 1, 4.9.1.4–4.9.1.6): tininess is
/// detected before rounding; a masked underflow is flagged only when the denormal result is also
/// inexact; an unmasked overflow or underflow into a register delivers the result with its exponent
/// biased by 24576 (3 × 2^13). The intermediate is <c>sig × 2^(exp − 127)</c> with bit 127 set, or zero.
/// </summary>
internal static class Rounder
{
    /// <summary>The exponent adjustment for unmasked overflow and underflow with a register destination.</summary>
    public const int ExponentBiasAdjust = 24576;

    private const int TopBit = 127;

    /// <summary>Normalizes <c>sig × 2^scale</c> and rounds it; zero when <paramref name="sig"/> is zero.</summary>
    public static Float80 RoundScaled(ref FloatContext ctx, bool sign, int scale, UInt128 sig, FloatFormat format, bool registerDestination)
    {
        if (sig == UInt128.Zero)
        {
            return Float80.Zero(sign);
        }

        var shift = (int)UInt128.LeadingZeroCount(sig);
        return Round(ref ctx, sign, scale + TopBit - shift, sig << shift, format, registerDestination);
    }

    /// <summary>Rounds <c>sig × 2^(exp − 127)</c> (bit 127 of <paramref name="sig"/> set).</summary>
    public static Float80 Round(ref FloatContext ctx, bool sign, int exp, UInt128 sig, FloatFormat format, bool registerDestination)
    {
        var tiny = exp < format.MinExponent;
        if (tiny)
        {
            if (!ctx.IsMasked(FpuStatus.Underflow))
            {
                ctx.Raise(FpuStatus.Underflow);
                if (!registerDestination)
                {
                    return Float80.Zero(sign);
                }

                exp += ExponentBiasAdjust;
                tiny = false;
            }
            else
            {
                sig = ShiftRightJam(sig, format.MinExponent - exp);
                exp = format.MinExponent;
            }
        }

        var dropped = TopBit + 1 - format.Precision;
        var roundMask = (UInt128.One << dropped) - 1;
        var half = UInt128.One << (dropped - 1);
        var rest = sig & roundMask;
        sig &= ~roundMask;
        if (rest != UInt128.Zero)
        {
            ctx.Raise(FpuStatus.Precision);
            if (tiny)
            {
                ctx.Raise(FpuStatus.Underflow);
            }

            var lsbSet = (sig & (UInt128.One << dropped)) != UInt128.Zero;
            var increment = ctx.Rounding switch
            {
                RoundingMode.Nearest => rest > half || (rest == half && lsbSet),
                RoundingMode.Up => !sign,
                RoundingMode.Down => sign,
                _ => false,
            };
            ctx.RoundedUp = increment;
            if (increment)
            {
                var before = sig;
                sig += UInt128.One << dropped;
                if (sig < before)
                {
                    sig = UInt128.One << TopBit;
                    exp++;
                }
            }
        }

        if (sig == UInt128.Zero)
        {
            return Float80.Zero(sign);
        }

        if (exp > format.MaxExponent)
        {
            return Overflow(ref ctx, sign, exp, sig, format, registerDestination);
        }

        return Encode(sign, exp, sig);
    }

    /// <summary>Shifts right, OR-ing every bit shifted out into bit 0 (the sticky bit).</summary>
    public static UInt128 ShiftRightJam(UInt128 value, int count)
    {
        if (count <= 0)
        {
            return value;
        }

        if (count > TopBit)
        {
            return value != UInt128.Zero ? UInt128.One : UInt128.Zero;
        }

        var lost = value & ((UInt128.One << count) - 1);
        return (value >> count) | (lost != UInt128.Zero ? UInt128.One : UInt128.Zero);
    }

    /// <summary>The extended encoding of an in-range rounded value: a normal number, or an extended denormal at exponent −16382.</summary>
    private static Float80 Encode(bool sign, int exp, UInt128 sig)
    {
        if ((sig >> TopBit) == UInt128.Zero)
        {
            // A denormal of a narrower format is a normal number in extended.
            var shift = (int)UInt128.LeadingZeroCount(sig);
            if (exp - shift >= FloatFormat.Extended.MinExponent)
            {
                sig <<= shift;
                exp -= shift;
            }
            else
            {
                return new Float80((ulong)(sig >> 64), sign ? Float80.SignBit : (ushort)0);
            }
        }

        var biased = (ushort)(exp + Float80.Bias);
        return new Float80((ulong)(sig >> 64), (ushort)(biased | (sign ? Float80.SignBit : 0)));
    }

    private static Float80 Overflow(ref FloatContext ctx, bool sign, int exp, UInt128 sig, FloatFormat format, bool registerDestination)
    {
        ctx.Raise(FpuStatus.Overflow);
        if (!ctx.IsMasked(FpuStatus.Overflow))
        {
            return registerDestination ? Encode(sign, exp - ExponentBiasAdjust, sig) : Float80.Infinity(sign);
        }

        ctx.Raise(FpuStatus.Precision);
        var toInfinity = ctx.Rounding switch
        {
            RoundingMode.Nearest => true,
            RoundingMode.Up => !sign,
            RoundingMode.Down => sign,
            _ => false,
        };
        ctx.RoundedUp = toInfinity;
        if (toInfinity)
        {
            return Float80.Infinity(sign);
        }

        var largest = ~((UInt128.One << (TopBit + 1 - format.Precision)) - 1);
        return Encode(sign, format.MaxExponent, largest);
    }
}
