namespace Emulator.Machine.Cpu.Fpu;

/// <summary>
/// Where a result is rounded to: significand bits and the exponent range of normal numbers (unbiased).
/// Precision control narrows only the significand of register results; stores to memory use the
/// destination format's exponent range too (Intel SDM vol. 1, 8.1.5.2).
/// </summary>
internal readonly record struct FloatFormat(int Precision, int MinExponent, int MaxExponent)
{
    public static readonly FloatFormat Extended = new(64, -16382, 16383);
    public static readonly FloatFormat Double = new(53, -1022, 1023);
    public static readonly FloatFormat Single = new(24, -126, 127);

    /// <summary>A register result under precision control <paramref name="pc"/> (00 single, 10 double, 11 extended; 01 is reserved and treated as extended).</summary>
    public static FloatFormat ForPrecisionControl(int pc) => pc switch
    {
        FpuControl.PrecisionSingle => Extended with { Precision = Single.Precision },
        FpuControl.PrecisionDouble => Extended with { Precision = Double.Precision },
        _ => Extended,
    };
}
