namespace Emulator.Machine.Cpu.Fpu;

/// <summary>FSCALE, FXTRACT and the comparison all compares share (Intel SDM vol. 2A, FCOM/FUCOM, FSCALE, FXTRACT).</summary>
internal static class ExponentOperations
{
    /// <summary>The ordering result for NaN operands.</summary>
    public const int Unordered = 2;

    /// <summary>Beyond this a scale saturates: the result over- or underflows whatever the operand.</summary>
    private const int ScaleLimit = 1 << 17;

    /// <summary>
    /// −1, 0, 1 or <see cref="Unordered"/>. A NaN raises IE when it is signalling or when the compare is
    /// an ordered one (FCOM, FICOM, FCOMI, FTST); unsupported encodings always do; a denormal raises DE.
    /// </summary>
    public static int Compare(ref FloatContext ctx, Float80 a, Float80 b, bool quietNaNs)
    {
        if (a.IsUnsupported || b.IsUnsupported)
        {
            ctx.Raise(FpuStatus.InvalidOperation);
            return Unordered;
        }

        if (a.IsNaN || b.IsNaN)
        {
            if (!quietNaNs || a.IsSignalingNaN || b.IsSignalingNaN)
            {
                ctx.Raise(FpuStatus.InvalidOperation);
            }

            return Unordered;
        }

        if (ExtendedArithmetic.CheckDenormal(ref ctx, a, b))
        {
            return Unordered;
        }

        if (a.IsZero && b.IsZero)
        {
            return 0;
        }

        if (a.Sign != b.Sign)
        {
            return a.Sign ? -1 : 1;
        }

        var magnitude = CompareMagnitude(a, b);
        return a.Sign ? -magnitude : magnitude;
    }

    /// <summary>FSCALE: ST(0) × 2^n with n = ST(1) truncated toward zero; exact unless it over- or underflows.</summary>
    public static Float80 Scale(ref FloatContext ctx, Float80 value, Float80 scale)
    {
        if (ExtendedArithmetic.TrySpecialNaN(ref ctx, value, scale, out var special))
        {
            return special;
        }

        if (scale.IsInfinity)
        {
            if (!scale.Sign)
            {
                return value.IsZero ? ctx.Invalid() : (value.IsInfinity ? value : Float80.Infinity(value.Sign));
            }

            return value.IsInfinity ? ctx.Invalid() : Float80.Zero(value.Sign);
        }

        if (ExtendedArithmetic.CheckDenormal(ref ctx, value, scale) || value.IsZero || value.IsInfinity)
        {
            return value;
        }

        var n = 0;
        if (!scale.IsZero)
        {
            var exp = ExtendedArithmetic.Exponent(scale);
            n = exp >= 17 ? ScaleLimit
                : exp < 0 ? 0
                : (int)(ExtendedArithmetic.Normalized(scale) >> (ExtendedArithmetic.IntegerBitIndex - exp));
            n = scale.Sign ? -n : n;
        }

        return Rounder.Round(ref ctx, value.Sign, ExtendedArithmetic.Exponent(value) + n,
            (UInt128)ExtendedArithmetic.Normalized(value) << 64, FloatFormat.Extended, true);
    }

    /// <summary>FXTRACT: the unbiased exponent as a value and the significand with exponent 0 (ZE and −∞ for a zero).</summary>
    public static (Float80 Exponent, Float80 Significand) Extract(ref FloatContext ctx, Float80 value)
    {
        if (ExtendedArithmetic.TrySpecialNaN(ref ctx, value, value, out var special))
        {
            return (special, special);
        }

        if (value.IsInfinity)
        {
            return (Float80.PositiveInfinity, value);
        }

        if (value.IsZero)
        {
            ctx.Raise(FpuStatus.ZeroDivide);
            return (Float80.NegativeInfinity, value);
        }

        if (ExtendedArithmetic.CheckDenormal(ref ctx, value, value))
        {
            return (value, value);
        }

        var exponent = FloatConversion.FromInt64(ExtendedArithmetic.Exponent(value));
        var significand = new Float80(ExtendedArithmetic.Normalized(value), (ushort)(Float80.Bias | (value.Sign ? Float80.SignBit : 0)));
        return (exponent, significand);
    }

    private static int CompareMagnitude(Float80 a, Float80 b)
    {
        if (a.IsInfinity || b.IsInfinity)
        {
            return a.IsInfinity == b.IsInfinity ? 0 : (a.IsInfinity ? 1 : -1);
        }

        if (a.IsZero || b.IsZero)
        {
            return a.IsZero ? -1 : 1;
        }

        var ea = ExtendedArithmetic.Exponent(a);
        var eb = ExtendedArithmetic.Exponent(b);
        if (ea != eb)
        {
            return ea > eb ? 1 : -1;
        }

        return ExtendedArithmetic.Normalized(a).CompareTo(ExtendedArithmetic.Normalized(b));
    }
}
