using Iced.Intel;

namespace Emulator.Machine.Cpu.Fpu;

/// <summary>
/// The x87 arithmetic and comparison instructions (Intel SDM vol. 1, 8.3.5–8.3.7): the six basic
/// operations in every form (m32fp, m64fp, m16int, m32int, ST(0)/ST(i) both ways, the P variants),
/// FSQRT, FABS, FCHS, FRNDINT, FSCALE, FXTRACT, FPREM/FPREM1, the compares (FCOM, FUCOM, FICOM,
/// FCOMI, FUCOMI, FTST) and FXAM.
/// </summary>
internal sealed class FpuArithmeticUnit(FpuExecution fpu)
{
    private const ushort Greater = 0;
    private const ushort Less = FpuStatus.C0;
    private const ushort Equal = FpuStatus.C3;
    private const ushort Unordered = FpuStatus.C0 | FpuStatus.C2 | FpuStatus.C3;

    private X87State State => fpu.State;

    /// <summary>FADD, FSUB, FSUBR, FMUL, FDIV, FDIVR and their FI/P forms.</summary>
    public bool Binary(ref DecodedInstruction d, BinaryOperation operation, bool reverse, bool pop)
    {
        var ctx = fpu.NewContext();
        int destination;
        Float80 source;
        bool sourceEmpty;
        if (d.Form0 == OperandForm.Memory)
        {
            destination = 0;
            sourceEmpty = false;
            if (!fpu.TryReadSource(ref d, ref ctx, out source))
            {
                return false;
            }
        }
        else
        {
            destination = FpuExecution.StackIndex(d.Instr, 0);
            var sourceIndex = FpuExecution.StackIndex(d.Instr, 1);
            source = State.Get(sourceIndex);
            sourceEmpty = State.IsEmpty(sourceIndex);
        }

        Float80 result;
        if (sourceEmpty || State.IsEmpty(destination))
        {
            if (!FpuExecution.StackUnderflow(ref ctx))
            {
                fpu.Finish(ref ctx);
                return true;
            }

            result = Float80.Indefinite;
        }
        else if (ctx.Aborted)
        {
            // The memory operand itself raised an unmasked IE or DE while loading.
            fpu.Finish(ref ctx);
            return true;
        }
        else
        {
            var a = State.Get(destination);
            var b = source;
            if (reverse)
            {
                (a, b) = (b, a);
            }

            var format = FloatFormat.ForPrecisionControl(ctx.PrecisionControl);
            result = operation switch
            {
                BinaryOperation.Add => ExtendedArithmetic.Add(ref ctx, a, b, false, format),
                BinaryOperation.Subtract => ExtendedArithmetic.Add(ref ctx, a, b, true, format),
                BinaryOperation.Multiply => ExtendedArithmetic.Multiply(ref ctx, a, b, format),
                _ => ExtendedArithmetic.Divide(ref ctx, a, b, format),
            };
        }

        if (!ctx.Aborted)
        {
            State.Set(destination, result);
            if (pop)
            {
                State.Pop();
            }
        }

        fpu.Finish(ref ctx);
        return true;
    }

    /// <summary>FSQRT, FRNDINT, FABS, FCHS: one operation on ST(0).</summary>
    public void Unary(Mnemonic mnemonic)
    {
        var ctx = fpu.NewContext();
        if (State.IsEmpty(0))
        {
            if (FpuExecution.StackUnderflow(ref ctx))
            {
                State.Set(0, Float80.Indefinite);
            }

            fpu.Finish(ref ctx);
            return;
        }

        var value = State.Get(0);
        var result = mnemonic switch
        {
            Mnemonic.Fsqrt => ExtendedArithmetic.SquareRoot(ref ctx, value, FloatFormat.ForPrecisionControl(ctx.PrecisionControl)),
            Mnemonic.Frndint => FloatConversion.RoundToIntegral(ref ctx, value),
            Mnemonic.Fabs => value.Abs(),
            _ => value.Negate(),
        };
        if (!ctx.Aborted)
        {
            State.Set(0, result);
        }

        fpu.Finish(ref ctx);
    }

    /// <summary>FSCALE: ST(0) × 2^trunc(ST(1)).</summary>
    public void Scale()
    {
        var ctx = fpu.NewContext();
        if (!TwoOperands(ref ctx, out var st0, out var st1))
        {
            return;
        }

        var result = ExponentOperations.Scale(ref ctx, st0, st1);
        if (!ctx.Aborted)
        {
            State.Set(0, result);
        }

        fpu.Finish(ref ctx);
    }

    /// <summary>FXTRACT: ST(0) becomes the exponent and the significand is pushed.</summary>
    public void Extract()
    {
        var ctx = fpu.NewContext();
        if (State.IsEmpty(0))
        {
            if (FpuExecution.StackUnderflow(ref ctx))
            {
                State.Set(0, Float80.Indefinite);
                fpu.Push(ref ctx, Float80.Indefinite);
            }

            fpu.Finish(ref ctx);
            return;
        }

        var (exponent, significand) = ExponentOperations.Extract(ref ctx, State.Get(0));
        if (!ctx.Aborted)
        {
            if (!State.IsEmpty(X87State.RegisterCount - 1))
            {
                fpu.Push(ref ctx, significand);
            }
            else
            {
                State.Set(0, exponent);
                State.Push(significand);
            }
        }

        fpu.Finish(ref ctx);
    }

    /// <summary>FPREM (truncating quotient) and FPREM1 (IEEE, nearest quotient): C2 set while the reduction is incomplete.</summary>
    public void PartialRemainder(bool ieee)
    {
        var ctx = fpu.NewContext();
        if (!TwoOperands(ref ctx, out var st0, out var st1))
        {
            return;
        }

        var result = PartialRemainderOperation.Compute(ref ctx, st0, st1, ieee, out var quotientBits, out var incomplete);
        if (!ctx.Aborted)
        {
            State.Set(0, result);
        }

        fpu.Finish(ref ctx);
        if (!ctx.Aborted && (ctx.Flags & FpuStatus.InvalidOperation) == 0)
        {
            var codes = incomplete ? FpuStatus.C2 : (ushort)(
                ((quotientBits & 4) != 0 ? FpuStatus.C0 : 0)
                | ((quotientBits & 2) != 0 ? FpuStatus.C3 : 0)
                | ((quotientBits & 1) != 0 ? FpuStatus.C1 : 0));
            fpu.SetConditionCodes(codes);
        }
    }

    /// <summary>
    /// FCOM/FCOMP/FCOMPP/FICOM/FICOMP (any NaN raises IE), FUCOM/FUCOMP/FUCOMPP (only an SNaN does), FTST:
    /// C3, C2, C0 from the comparison of ST(0) with the source, C1 cleared; pops after.
    /// </summary>
    public bool Compare(ref DecodedInstruction d, bool unordered, int pops, bool againstZero)
    {
        var ctx = fpu.NewContext();
        Float80 source;
        var empty = State.IsEmpty(0);
        if (againstZero)
        {
            source = Float80.PositiveZero;
        }
        else if (d.Form0 == OperandForm.Memory)
        {
            if (!fpu.TryReadSource(ref d, ref ctx, out source))
            {
                return false;
            }
        }
        else
        {
            var index = d.Instr.OpCount > 1 ? FpuExecution.StackIndex(d.Instr, 1) : 1;
            source = State.Get(index);
            empty |= State.IsEmpty(index);
        }

        var codes = Unordered;
        if (empty)
        {
            FpuExecution.StackUnderflow(ref ctx);
        }
        else if (!ctx.Aborted)
        {
            codes = ToConditionCodes(ExponentOperations.Compare(ref ctx, State.Get(0), source, unordered));
        }

        if (!ctx.Aborted)
        {
            for (var i = 0; i < pops; i++)
            {
                State.Pop();
            }
        }

        ctx.RoundedUp = false;
        fpu.Finish(ref ctx);
        if (!ctx.Aborted)
        {
            fpu.SetConditionCodes(codes);
        }

        return true;
    }

    /// <summary>FCOMI/FCOMIP/FUCOMI/FUCOMIP: the result goes to ZF, PF, CF (OF, SF, AF cleared).</summary>
    public void CompareToFlags(ref DecodedInstruction d, bool unordered, bool pop)
    {
        var ctx = fpu.NewContext();
        var index = FpuExecution.StackIndex(d.Instr, 1);
        var ordering = ExponentOperations.Unordered;
        if (State.IsEmpty(0) || State.IsEmpty(index))
        {
            FpuExecution.StackUnderflow(ref ctx);
        }
        else
        {
            ordering = ExponentOperations.Compare(ref ctx, State.Get(0), State.Get(index), unordered);
        }

        if (!ctx.Aborted)
        {
            var flags = fpu.Core.R.Flags & ~(Eflags.Zero | Eflags.Parity | Eflags.Carry | Eflags.Overflow | Eflags.Sign | Eflags.Adjust);
            flags |= ordering switch
            {
                < 0 => Eflags.Carry,
                0 => Eflags.Zero,
                ExponentOperations.Unordered => Eflags.Zero | Eflags.Parity | Eflags.Carry,
                _ => 0,
            };
            fpu.Core.R.Flags = flags;
            if (pop)
            {
                State.Pop();
            }
        }

        ctx.RoundedUp = false;
        fpu.Finish(ref ctx);
    }

    /// <summary>FXAM: the class of ST(0) in C3, C2, C0 and its sign in C1 (an empty register is 101).</summary>
    public void Examine()
    {
        var value = State.Get(0);
        ushort codes;
        if (State.IsEmpty(0))
        {
            codes = FpuStatus.C3 | FpuStatus.C0;
        }
        else if (value.IsUnsupported)
        {
            codes = 0;
        }
        else if (value.IsNaN)
        {
            codes = FpuStatus.C0;
        }
        else if (value.IsInfinity)
        {
            codes = FpuStatus.C2 | FpuStatus.C0;
        }
        else if (value.IsZero)
        {
            codes = FpuStatus.C3;
        }
        else
        {
            codes = value.IsDenormal ? (ushort)(FpuStatus.C3 | FpuStatus.C2) : FpuStatus.C2;
        }

        fpu.SetConditionCodes(value.Sign ? (ushort)(codes | FpuStatus.C1) : codes);
    }

    private static ushort ToConditionCodes(int ordering) => ordering switch
    {
        < 0 => Less,
        0 => Equal,
        ExponentOperations.Unordered => Unordered,
        _ => Greater,
    };

    /// <summary>ST(0) and ST(1) for FSCALE/FPREM; false (and finished) when one is empty and IE is unmasked.</summary>
    private bool TwoOperands(ref FloatContext ctx, out Float80 st0, out Float80 st1)
    {
        st0 = State.Get(0);
        st1 = State.Get(1);
        if (!State.IsEmpty(0) && !State.IsEmpty(1))
        {
            return true;
        }

        if (FpuExecution.StackUnderflow(ref ctx))
        {
            State.Set(0, Float80.Indefinite);
        }

        fpu.Finish(ref ctx);
        return false;
    }
}
