using System.Numerics;

namespace Emulator.Machine.Tests.Cpu.Fpu;

/// <summary>
/// An independent model of x87 rounding for normal results, on exact rationals (BigInteger): the
/// value num/den × 2^exp2 rounded to <c>precision</c> bits with RC. It shares nothing with the
/// emulator's Rounder, so the fuzz test compares two implementations of IEEE 754 rounding.
/// </summary>
internal static class ExtendedReference
{
    public readonly record struct Result(ushort SignExponent, ulong Significand, bool Inexact, bool RoundedUp)
    {
        public string Pattern => $"{SignExponent:X4}:{Significand:X16}";
    }

    public static BigInteger Significand(ulong bits) => new(bits);

    /// <summary>Rounds ±num/den × 2^exp2 (num, den &gt; 0) to a normal extended value.</summary>
    public static Result Round(bool negative, BigInteger num, BigInteger den, int exp2, int precision, int rc)
    {
        var e = (int)(num.GetBitLength() - den.GetBitLength());
        if (Compare(num, den, e) < 0)
        {
            e--;
        }

        // q = floor(num/den × 2^(precision − 1 − e)), in [2^(p−1), 2^p).
        var shift = precision - 1 - e;
        var n = shift >= 0 ? num << shift : num;
        var d = shift >= 0 ? den : den << -shift;
        var q = BigInteger.DivRem(n, d, out var r);
        var inexact = !r.IsZero;
        var twice = r * 2;
        var up = rc switch
        {
            0 => twice > d || (twice == d && !q.IsEven),
            1 => negative && inexact,
            2 => !negative && inexact,
            _ => false,
        };
        var exponent = e + exp2;
        if (up)
        {
            q += 1;
            if (q.GetBitLength() > precision)
            {
                q >>= 1;
                exponent++;
            }
        }

        var significand = (ulong)(q << (64 - precision));
        var biased = (ushort)((exponent + 16383) | (negative ? 0x8000 : 0));
        return new Result(biased, significand, inexact, up);
    }

    /// <summary>Integer square root (Newton), for the FSQRT reference.</summary>
    public static BigInteger SquareRoot(BigInteger value)
    {
        if (value.IsZero)
        {
            return 0;
        }

        var x = BigInteger.One << (int)((value.GetBitLength() + 1) / 2);
        while (true)
        {
            var next = (x + (value / x)) >> 1;
            if (next >= x)
            {
                return x;
            }

            x = next;
        }
    }

    /// <summary>Sign of num − den × 2^e.</summary>
    private static int Compare(BigInteger num, BigInteger den, int e) =>
        e >= 0 ? num.CompareTo(den << e) : (num << -e).CompareTo(den);
}
