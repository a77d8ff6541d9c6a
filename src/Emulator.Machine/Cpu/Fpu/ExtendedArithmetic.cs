namespace Emulator.Machine.Cpu.Fpu;

/// <summary>
/// The basic operations on the 80-bit format done in software on integers (Intel SDM vol. 1, 4.9 and
/// 8.5; IEEE 754): exact intermediates in <see cref="UInt128"/>, one rounding by <see cref="Rounder"/>.
/// Special operands follow the x87 rules: an SNaN raises IE and is made quiet, of two NaNs the one
/// with the larger significand wins, unsupported encodings and invalid combinations (∞ − ∞, 0 × ∞,
/// 0 / 0, ∞ / ∞, √−x) raise IE and give the real indefinite; a denormal operand raises DE.
/// A result is meaningful only when <see cref="FloatContext.Aborted"/> stays false.
/// </summary>
internal static class ExtendedArithmetic
{
    public const int IntegerBitIndex = 63;

    /// <summary>The sum (or difference) rounded to <paramref name="format"/>.</summary>
    public static Float80 Add(ref FloatContext ctx, Float80 a, Float80 b, bool subtract, FloatFormat format)
    {
        if (TrySpecialNaN(ref ctx, a, b, out var special))
        {
            return special;
        }

        var signB = b.Sign ^ subtract;
        if (a.IsInfinity || b.IsInfinity)
        {
            if (a.IsInfinity && b.IsInfinity && a.Sign != signB)
            {
                return ctx.Invalid();
            }

            CheckDenormal(ref ctx, a, b);
            return a.IsInfinity ? a : Float80.Infinity(signB);
        }

        if (CheckDenormal(ref ctx, a, b))
        {
            return default;
        }

        if (a.IsZero && b.IsZero)
        {
            return Float80.Zero(a.Sign == signB ? a.Sign : ctx.Rounding == RoundingMode.Down);
        }

        if (a.IsZero || b.IsZero)
        {
            var (sign, exp, sig) = a.IsZero ? (signB, Exponent(b), Normalized(b)) : (a.Sign, Exponent(a), Normalized(a));
            return Rounder.RoundScaled(ref ctx, sign, exp - IntegerBitIndex, sig, format, true);
        }

        var ea = Exponent(a);
        var eb = Exponent(b);
        var sa = (UInt128)Normalized(a) << 62;
        var sb = (UInt128)Normalized(b) << 62;
        var signA = a.Sign;
        if (eb > ea)
        {
            (ea, eb, sa, sb, signA, signB) = (eb, ea, sb, sa, signB, signA);
        }

        sb = Rounder.ShiftRightJam(sb, ea - eb);
        var scale = ea - IntegerBitIndex - 62;
        if (signA == signB)
        {
            return Rounder.RoundScaled(ref ctx, signA, scale, sa + sb, format, true);
        }

        if (sa == sb)
        {
            return Float80.Zero(ctx.Rounding == RoundingMode.Down);
        }

        return sa > sb
            ? Rounder.RoundScaled(ref ctx, signA, scale, sa - sb, format, true)
            : Rounder.RoundScaled(ref ctx, signB, scale, sb - sa, format, true);
    }

    public static Float80 Multiply(ref FloatContext ctx, Float80 a, Float80 b, FloatFormat format)
    {
        if (TrySpecialNaN(ref ctx, a, b, out var special))
        {
            return special;
        }

        var sign = a.Sign ^ b.Sign;
        if (a.IsInfinity || b.IsInfinity)
        {
            if (a.IsZero || b.IsZero)
            {
                return ctx.Invalid();
            }

            CheckDenormal(ref ctx, a, b);
            return Float80.Infinity(sign);
        }

        if (CheckDenormal(ref ctx, a, b))
        {
            return default;
        }

        if (a.IsZero || b.IsZero)
        {
            return Float80.Zero(sign);
        }

        var product = (UInt128)Normalized(a) * Normalized(b);
        return Rounder.RoundScaled(ref ctx, sign, Exponent(a) + Exponent(b) - (2 * IntegerBitIndex), product, format, true);
    }

    public static Float80 Divide(ref FloatContext ctx, Float80 a, Float80 b, FloatFormat format)
    {
        if (TrySpecialNaN(ref ctx, a, b, out var special))
        {
            return special;
        }

        var sign = a.Sign ^ b.Sign;
        if (a.IsInfinity)
        {
            if (b.IsInfinity)
            {
                return ctx.Invalid();
            }

            CheckDenormal(ref ctx, a, b);
            return Float80.Infinity(sign);
        }

        if (b.IsInfinity)
        {
            CheckDenormal(ref ctx, a, b);
            return Float80.Zero(sign);
        }

        if (b.IsZero)
        {
            if (a.IsZero)
            {
                return ctx.Invalid();
            }

            if (CheckDenormal(ref ctx, a, b))
            {
                return default;
            }

            ctx.Raise(FpuStatus.ZeroDivide);
            return Float80.Infinity(sign);
        }

        if (CheckDenormal(ref ctx, a, b))
        {
            return default;
        }

        if (a.IsZero)
        {
            return Float80.Zero(sign);
        }

        var sa = Normalized(a);
        var sb = Normalized(b);
        var high = ((UInt128)sa << 64) / sb;
        var remainder = ((UInt128)sa << 64) % sb;
        var low = (remainder << 64) / sb;
        var sticky = (remainder << 64) % sb != UInt128.Zero || (low & 3) != UInt128.Zero;
        var quotient = (high << 62) | (low >> 2) | (sticky ? UInt128.One : UInt128.Zero);
        return Rounder.RoundScaled(ref ctx, sign, Exponent(a) - Exponent(b) - 126, quotient, format, true);
    }

    public static Float80 SquareRoot(ref FloatContext ctx, Float80 a, FloatFormat format)
    {
        if (TrySpecialNaN(ref ctx, a, a, out var special))
        {
            return special;
        }

        if (a.IsZero)
        {
            return a;
        }

        if (a.Sign)
        {
            return ctx.Invalid();
        }

        if (a.IsInfinity)
        {
            return a;
        }

        if (CheckDenormal(ref ctx, a, a))
        {
            return default;
        }

        // value = s × 2^u; make u even so the root's exponent is exact.
        var u = Exponent(a) - IntegerBitIndex;
        UInt128 x = Normalized(a);
        if ((u & 1) != 0)
        {
            x <<= 1;
            u--;
        }

        const int InputPairs = 33;
        const int ExtraPairs = 34;
        UInt128 root = 0;
        UInt128 rem = 0;
        for (var i = InputPairs + ExtraPairs - 1; i >= 0; i--)
        {
            var pair = i >= ExtraPairs ? (x >> (2 * (i - ExtraPairs))) & 3 : UInt128.Zero;
            rem = (rem << 2) | pair;
            var trial = (root << 2) | 1;
            root <<= 1;
            if (rem >= trial)
            {
                rem -= trial;
                root |= 1;
            }
        }

        var sig = (root << 1) | (rem != UInt128.Zero ? UInt128.One : UInt128.Zero);
        return Rounder.RoundScaled(ref ctx, false, (u / 2) - ExtraPairs - 1, sig, format, true);
    }

    /// <summary>
    /// NaN operands and unsupported encodings: true with the result when either operand is one
    /// (IE for an SNaN or an unsupported encoding; a masked SNaN comes back quiet).
    /// </summary>
    public static bool TrySpecialNaN(ref FloatContext ctx, Float80 a, Float80 b, out Float80 result)
    {
        if (a.IsUnsupported || b.IsUnsupported)
        {
            result = ctx.Invalid();
            return true;
        }

        if (!a.IsNaN && !b.IsNaN)
        {
            result = default;
            return false;
        }

        if (a.IsSignalingNaN || b.IsSignalingNaN)
        {
            ctx.Raise(FpuStatus.InvalidOperation);
        }

        if (a.IsNaN && b.IsNaN)
        {
            var qa = a.Quieted();
            var qb = b.Quieted();
            result = qa.Significand > qb.Significand || (qa.Significand == qb.Significand && !a.Sign) ? qa : qb;
            return true;
        }

        result = (a.IsNaN ? a : b).Quieted();
        return true;
    }

    /// <summary>Raises DE when an operand is denormal; true when DE is unmasked (the operation stops there).</summary>
    public static bool CheckDenormal(ref FloatContext ctx, Float80 a, Float80 b)
    {
        if (a.IsDenormal || b.IsDenormal)
        {
            ctx.Raise(FpuStatus.Denormal);
            return !ctx.IsMasked(FpuStatus.Denormal);
        }

        return false;
    }

    /// <summary>The unbiased exponent of a finite non-zero value once its significand is normalized.</summary>
    public static int Exponent(Float80 v)
    {
        if (v.BiasedExponent != 0)
        {
            return v.BiasedExponent - Float80.Bias;
        }

        return FloatFormat.Extended.MinExponent - System.Numerics.BitOperations.LeadingZeroCount(v.Significand);
    }

    /// <summary>The significand of a finite non-zero value shifted so bit 63 is set.</summary>
    public static ulong Normalized(Float80 v) => v.Significand << System.Numerics.BitOperations.LeadingZeroCount(v.Significand);
}
