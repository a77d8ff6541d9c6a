using Iced.Intel;

namespace Emulator.Machine.Cpu.Fpu;

/// <summary>
/// FSIN, FCOS, FSINCOS, FPTAN, FPATAN, F2XM1, FYL2X and FYL2XP1. These compute in host double
/// precision (System.Math) and convert back, so their results are NOT bit-exact to an Intel FPU
/// (which keeps about 66 bits and reduces arguments with a 66-bit π): the last 11 bits of the
/// significand can differ. Neither Linux nor memtest86+ depends on them; the exception behaviour
/// follows the SDM (NaN propagation, IE for an invalid operand, PE whenever a result is produced,
/// C2 set and the operand left alone when |x| ≥ 2^63 for the trigonometric ones).
/// </summary>
internal sealed class Transcendental(FpuExecution fpu)
{
    private const int ReductionLimitExponent = 63;

    private X87State State => fpu.State;

    public void Execute(Mnemonic mnemonic)
    {
        var ctx = fpu.NewContext();
        var twoOperands = mnemonic is Mnemonic.Fpatan or Mnemonic.Fyl2x or Mnemonic.Fyl2xp1;
        if (State.IsEmpty(0) || (twoOperands && State.IsEmpty(1)))
        {
            if (FpuExecution.StackUnderflow(ref ctx))
            {
                State.Set(twoOperands ? 1 : 0, Float80.Indefinite);
                if (twoOperands)
                {
                    State.Pop();
                }
            }

            fpu.Finish(ref ctx);
            return;
        }

        var x = State.Get(0);
        var y = twoOperands ? State.Get(1) : x;
        if (ExtendedArithmetic.TrySpecialNaN(ref ctx, x, y, out var nan))
        {
            Commit(ref ctx, mnemonic, nan, nan);
            return;
        }

        if (ExtendedArithmetic.CheckDenormal(ref ctx, x, y))
        {
            fpu.Finish(ref ctx);
            return;
        }

        var trigonometric = mnemonic is Mnemonic.Fsin or Mnemonic.Fcos or Mnemonic.Fsincos or Mnemonic.Fptan;
        if (trigonometric && !x.IsInfinity && !x.IsZero && ExtendedArithmetic.Exponent(x) >= ReductionLimitExponent)
        {
            fpu.Finish(ref ctx);
            fpu.SetConditionCodes(FpuStatus.C2);
            return;
        }

        var hx = FloatConversion.ToHostDouble(x);
        var hy = FloatConversion.ToHostDouble(y);
        var (first, second) = mnemonic switch
        {
            Mnemonic.Fsin => (Math.Sin(hx), 0.0),
            Mnemonic.Fcos => (Math.Cos(hx), 0.0),
            Mnemonic.Fsincos => (Math.Sin(hx), Math.Cos(hx)),
            Mnemonic.Fptan => (Math.Tan(hx), 1.0),
            Mnemonic.Fpatan => (Math.Atan2(hy, hx), 0.0),
            Mnemonic.F2xm1 => (Math.Pow(2, hx) - 1, 0.0),
            Mnemonic.Fyl2x => (Log2Times(ref ctx, hy, hx), 0.0),
            _ => (hy * Math.Log2(1 + hx), 0.0),
        };

        if (double.IsNaN(first) && !x.IsNaN)
        {
            Commit(ref ctx, mnemonic, ctx.Invalid(), Float80.Indefinite);
            return;
        }

        ctx.Raise(FpuStatus.Precision);
        Commit(ref ctx, mnemonic, FloatConversion.FromHostDouble(first), FloatConversion.FromHostDouble(second));
    }

    /// <summary>FYL2X: y × log2(x); x = 0 with a finite non-zero y is a division by zero.</summary>
    private static double Log2Times(ref FloatContext ctx, double y, double x)
    {
        if (x == 0 && y != 0 && !double.IsInfinity(y))
        {
            ctx.Raise(FpuStatus.ZeroDivide);
        }

        return x < 0 ? double.NaN : y * Math.Log2(x);
    }

    private void Commit(ref FloatContext ctx, Mnemonic mnemonic, Float80 first, Float80 second)
    {
        if (!ctx.Aborted)
        {
            switch (mnemonic)
            {
                case Mnemonic.Fsincos:
                    State.Set(0, first);
                    fpu.Push(ref ctx, second);
                    break;
                case Mnemonic.Fptan:
                    State.Set(0, first);
                    fpu.Push(ref ctx, second.IsNaN ? first : Float80.One);
                    break;
                case Mnemonic.Fpatan or Mnemonic.Fyl2x or Mnemonic.Fyl2xp1:
                    State.Set(1, first);
                    State.Pop();
                    break;
                default:
                    State.Set(0, first);
                    break;
            }
        }

        fpu.Finish(ref ctx);
        fpu.SetConditionCodes((ushort)(State.Status & FpuStatus.C1));
    }
}
