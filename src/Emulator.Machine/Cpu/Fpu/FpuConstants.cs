using Iced.Intel;

namespace Emulator.Machine.Cpu.Fpu;

/// <summary>
/// The constants FLD1, FLDZ, FLDPI, FLDL2E, FLDL2T, FLDLG2 and FLDLN2 load. The 387 and later keep
/// them with more than 64 bits and round them with RC (Intel SDM vol. 1, 8.3.8): each irrational one
/// is stored here truncated to 64 bits with whether the bits beyond are at least one half, which is
/// all rounding needs (they are positive and never exact). Values computed to 60 digits with
/// Python's decimal module.
/// </summary>
internal static class FpuConstants
{
    private static readonly Constant Pi = new(0xC90F_DAA2_2168_C234, 1, true);
    private static readonly Constant Log2E = new(0xB8AA_3B29_5C17_F0BB, 0, true);
    private static readonly Constant Log2Ten = new(0xD49A_784B_CD1B_8AFE, 1, false);
    private static readonly Constant Log10Two = new(0x9A20_9A84_FBCF_F798, -2, true);
    private static readonly Constant LnTwo = new(0xB172_17F7_D1CF_79AB, -1, true);

    public static Float80 Get(Mnemonic mnemonic, RoundingMode rounding) => mnemonic switch
    {
        Mnemonic.Fld1 => Float80.One,
        Mnemonic.Fldz => Float80.PositiveZero,
        Mnemonic.Fldpi => Pi.Round(rounding),
        Mnemonic.Fldl2e => Log2E.Round(rounding),
        Mnemonic.Fldl2t => Log2Ten.Round(rounding),
        Mnemonic.Fldlg2 => Log10Two.Round(rounding),
        _ => LnTwo.Round(rounding),
    };

    private readonly record struct Constant(ulong Truncated, int Exponent, bool HalfOrMoreBeyond)
    {
        public Float80 Round(RoundingMode rounding)
        {
            var up = rounding == RoundingMode.Up || (rounding == RoundingMode.Nearest && HalfOrMoreBeyond);
            return new Float80(up ? Truncated + 1 : Truncated, (ushort)(Exponent + Float80.Bias));
        }
    }
}
