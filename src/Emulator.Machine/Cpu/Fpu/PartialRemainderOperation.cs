namespace Emulator.Machine.Cpu.Fpu;

/// <summary>
/// FPREM and FPREM1 (Intel SDM vol. 2A): the exact remainder of ST(0) / ST(1) when the exponents
/// differ by less than 64, else a partial reduction by 2^k with k in 32–63 (C2 set, run again).
/// The remainder is always exact; the low three quotient bits go to C0, C3, C1.
/// </summary>
internal static class PartialRemainderOperation
{
    private const int FullReductionLimit = 64;
    private const int PartialBase = 32;

    public static Float80 Compute(ref FloatContext ctx, Float80 a, Float80 b, bool ieee, out int quotientBits, out bool incomplete)
    {
        quotientBits = 0;
        incomplete = false;
        if (ExtendedArithmetic.TrySpecialNaN(ref ctx, a, b, out var special))
        {
            return special;
        }

        if (a.IsInfinity || b.IsZero)
        {
            return ctx.Invalid();
        }

        if (ExtendedArithmetic.CheckDenormal(ref ctx, a, b) || a.IsZero || b.IsInfinity)
        {
            return a;
        }

        var ea = ExtendedArithmetic.Exponent(a);
        var eb = ExtendedArithmetic.Exponent(b);
        var sa = ExtendedArithmetic.Normalized(a);
        var sb = ExtendedArithmetic.Normalized(b);
        var difference = ea - eb;
        if (difference < 0)
        {
            // |a| < |b|: the quotient is 0, or 1 for FPREM1 when |a| is more than half of |b|.
            if (!ieee || difference < -1 || (difference == -1 && sa <= sb))
            {
                return a;
            }

            quotientBits = 1;
            return ExtendedArithmetic.Add(ref ctx, a, b.WithSign(a.Sign), true, FloatFormat.Extended);
        }

        var shift = difference;
        if (difference >= FullReductionLimit)
        {
            incomplete = true;
            shift = PartialBase + (difference % PartialBase);
        }

        var dividend = (UInt128)sa << shift;
        var quotient = dividend / sb;
        var remainder = dividend % sb;
        var sign = a.Sign;
        if (ieee && !incomplete)
        {
            var twice = remainder << 1;
            if (twice > sb || (twice == sb && (quotient & 1) != 0))
            {
                remainder = sb - remainder;
                quotient++;
                sign = !sign;
            }
        }

        quotientBits = (int)(quotient & 7);

        // The remainder is in units of b's last bit, shifted by what the partial step left out.
        var scale = eb - ExtendedArithmetic.IntegerBitIndex + (difference - shift);
        var exact = new FloatContext((ushort)(ctx.Control & ~FpuControl.RoundingMask));
        var result = Rounder.RoundScaled(ref exact, sign, scale, remainder, FloatFormat.Extended, true);
        ctx.Raise((ushort)(exact.Flags & FpuStatus.Underflow));
        return remainder == 0 ? Float80.Zero(a.Sign) : result;
    }
}
