namespace Emulator.Machine.Cpu.Fpu;

/// <summary>
/// An x87 register value in the 80-bit double-extended format (Intel SDM vol. 1, 4.2.2): sign, 15-bit
/// biased exponent (bias 16383) and a 64-bit significand whose integer bit (bit 63) is explicit.
/// </summary>
internal readonly record struct Float80(ulong Significand, ushort SignExponent)
{
    public const int Bias = 16383;
    public const int MaxBiased = 0x7FFF;
    public const ushort SignBit = 0x8000;
    public const ushort ExponentMask = 0x7FFF;
    public const ulong IntegerBit = 1UL << 63;
    public const ulong QuietBit = 1UL << 62;
    public const ulong FractionMask = IntegerBit - 1;

    public static readonly Float80 PositiveZero = new(0, 0);
    public static readonly Float80 NegativeZero = new(0, SignBit);
    public static readonly Float80 PositiveInfinity = new(IntegerBit, MaxBiased);
    public static readonly Float80 NegativeInfinity = new(IntegerBit, SignBit | MaxBiased);

    /// <summary>The default NaN an invalid operation delivers when IE is masked ("real indefinite").</summary>
    public static readonly Float80 Indefinite = new(IntegerBit | QuietBit, SignBit | MaxBiased);

    /// <summary>+1.0.</summary>
    public static readonly Float80 One = new(IntegerBit, Bias);

    public bool Sign => (SignExponent & SignBit) != 0;

    public int BiasedExponent => SignExponent & ExponentMask;

    public bool IsZero => BiasedExponent == 0 && Significand == 0;

    /// <summary>Exponent 0 with a non-zero significand: a denormal, or a pseudo-denormal when the integer bit is set.</summary>
    public bool IsDenormal => BiasedExponent == 0 && Significand != 0;

    public bool IsInfinity => BiasedExponent == MaxBiased && Significand == IntegerBit;

    /// <summary>Any NaN, quiet or signalling (integer bit set, fraction non-zero).</summary>
    public bool IsNaN => BiasedExponent == MaxBiased && (Significand & IntegerBit) != 0 && (Significand & FractionMask) != 0;

    public bool IsSignalingNaN => IsNaN && (Significand & QuietBit) == 0;

    /// <summary>
    /// Encodings the 387 and later reject as invalid operands: pseudo-NaN and pseudo-infinity (maximum
    /// exponent, integer bit clear) and unnormals (exponent neither 0 nor maximum, integer bit clear).
    /// </summary>
    public bool IsUnsupported => BiasedExponent != 0 && (Significand & IntegerBit) == 0;

    public Float80 Negate() => new(Significand, (ushort)(SignExponent ^ SignBit));

    public Float80 Abs() => new(Significand, (ushort)(SignExponent & ExponentMask));

    public Float80 WithSign(bool negative) => new(Significand, (ushort)(negative ? SignExponent | SignBit : SignExponent & ExponentMask));

    /// <summary>The same NaN made quiet (a signalling NaN that passes through a masked IE).</summary>
    public Float80 Quieted() => new(Significand | QuietBit, SignExponent);

    public static Float80 Zero(bool negative) => negative ? NegativeZero : PositiveZero;

    public static Float80 Infinity(bool negative) => negative ? NegativeInfinity : PositiveInfinity;

    public override string ToString() => $"{SignExponent:X4}:{Significand:X16}";
}
