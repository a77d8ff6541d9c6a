using System.Buffers.Binary;
using Iced.Intel;

namespace Emulator.Machine.Cpu.Fpu;

/// <summary>
/// Data transfer (Intel SDM vol. 1, 8.3.3 and 8.3.4): FLD/FILD/FBLD and the constants push, FST/FSTP,
/// FIST/FISTP and FBSTP store with the control word's rounding, FXCH and FCMOVcc. Memory is written
/// before anything in the FPU changes, so a #PF or #GP leaves the instruction restartable.
/// </summary>
internal sealed class FpuLoadStore(FpuExecution fpu)
{
    private const int SingleBytes = 4;
    private const int DoubleBytes = 8;
    private const int ExtendedBytes = 10;
    private const uint SingleIndefinite = 0xFFC0_0000;
    private const ulong DoubleIndefinite = 0xFFF8_0000_0000_0000;

    private X87State State => fpu.State;

    /// <summary>FLD m32fp/m64fp/m80fp, FILD, FBLD: push the converted operand (an unmasked IE or DE pushes nothing).</summary>
    public bool LoadMemory(ref DecodedInstruction d)
    {
        var ctx = fpu.NewContext();
        if (!fpu.TryReadSource(ref d, ref ctx, out var value))
        {
            return false;
        }

        if (!ctx.Aborted)
        {
            fpu.Push(ref ctx, value);
        }

        fpu.Finish(ref ctx);
        return true;
    }

    /// <summary>FLD ST(i): pushes a copy; an empty ST(i) pushes the indefinite when IE is masked.</summary>
    public void LoadRegister(int index)
    {
        var ctx = fpu.NewContext();
        var value = State.Get(index);
        if (State.IsEmpty(index))
        {
            if (!FpuExecution.StackUnderflow(ref ctx))
            {
                fpu.Finish(ref ctx);
                return;
            }

            value = Float80.Indefinite;
        }

        fpu.Push(ref ctx, value);
        fpu.Finish(ref ctx);
    }

    /// <summary>FLD1, FLDZ, FLDPI …: the constant rounded with RC, no PE (Intel SDM vol. 2A, FLD1/FLDL2T/…).</summary>
    public void LoadConstant(Mnemonic mnemonic)
    {
        var ctx = fpu.NewContext();
        fpu.Push(ref ctx, FpuConstants.Get(mnemonic, ctx.Rounding));
        fpu.Finish(ref ctx);
    }

    /// <summary>FST/FSTP ST(i): a plain copy of ST(0), no rounding.</summary>
    public void StoreRegister(int index, bool pop)
    {
        var ctx = fpu.NewContext();
        var value = State.Get(0);
        if (State.IsEmpty(0))
        {
            if (!FpuExecution.StackUnderflow(ref ctx))
            {
                fpu.Finish(ref ctx);
                return;
            }

            value = Float80.Indefinite;
        }

        State.Set(index, value);
        if (pop)
        {
            State.Pop();
        }

        fpu.Finish(ref ctx);
    }

    /// <summary>
    /// FST/FSTP m32fp/m64fp/m80fp, FIST/FISTP m16/m32/m64int, FBSTP m80bcd. An unmasked IE or DE, or
    /// an unmasked overflow or underflow of a single or double, stores nothing and does not pop.
    /// </summary>
    public bool StoreMemory(ref DecodedInstruction d, bool pop)
    {
        var ctx = fpu.NewContext();
        Span<byte> bytes = stackalloc byte[ExtendedBytes];
        var empty = State.IsEmpty(0);
        var value = empty ? Float80.Indefinite : State.Get(0);
        if (empty && !FpuExecution.StackUnderflow(ref ctx))
        {
            fpu.Finish(ref ctx);
            return true;
        }

        var length = Encode(ref d, ref ctx, value, empty, bytes);
        const ushort StoreSuppressing = FpuStatus.InvalidOperation | FpuStatus.Denormal | FpuStatus.Overflow | FpuStatus.Underflow;
        if ((ctx.Flags & ~ctx.Control & StoreSuppressing) == 0)
        {
            if (!fpu.Memory.TryWrite(ref d, bytes[..length]))
            {
                return false;
            }

            if (pop)
            {
                State.Pop();
            }
        }

        fpu.Finish(ref ctx);
        return true;
    }

    /// <summary>FXCH ST(i): an empty operand becomes the indefinite first when IE is masked.</summary>
    public void Exchange(int index)
    {
        var ctx = fpu.NewContext();
        var a = State.Get(0);
        var b = State.Get(index);
        if (State.IsEmpty(0) || State.IsEmpty(index))
        {
            if (!FpuExecution.StackUnderflow(ref ctx))
            {
                fpu.Finish(ref ctx);
                return;
            }

            a = State.IsEmpty(0) ? Float80.Indefinite : a;
            b = State.IsEmpty(index) ? Float80.Indefinite : b;
        }

        State.Set(0, b);
        State.Set(index, a);
        fpu.Finish(ref ctx);
    }

    /// <summary>FCMOVcc ST(0), ST(i): the condition comes from EFLAGS (CF, ZF, PF).</summary>
    public void ConditionalMove(int index, bool condition)
    {
        var ctx = fpu.NewContext();
        if (State.IsEmpty(0) || State.IsEmpty(index))
        {
            if (FpuExecution.StackUnderflow(ref ctx))
            {
                State.Set(0, Float80.Indefinite);
            }
        }
        else if (condition)
        {
            State.Set(0, State.Get(index));
        }

        fpu.Finish(ref ctx);
    }

    private static int Encode(ref DecodedInstruction d, ref FloatContext ctx, Float80 value, bool empty, Span<byte> bytes)
    {
        switch (d.Instr.MemorySize)
        {
            case MemorySize.Float32:
                BinaryPrimitives.WriteUInt32LittleEndian(bytes, empty ? SingleIndefinite : FloatConversion.ToSingle(ref ctx, value));
                return SingleBytes;
            case MemorySize.Float64:
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, empty ? DoubleIndefinite : FloatConversion.ToDouble(ref ctx, value));
                return DoubleBytes;
            case MemorySize.Float80:
                FpuMemory.WriteFloat80(bytes, value);
                return ExtendedBytes;
            case MemorySize.Bcd:
                if (empty || !FloatConversion.TryToBcd(ref ctx, value, bytes))
                {
                    FloatConversion.WriteBcdIndefinite(bytes);
                }

                return ExtendedBytes;
            default:
                var size = d.Instr.MemorySize.GetSize();
                var integer = (long)FloatConversion.IntegerIndefinite(size);
                if (!empty && !FloatConversion.TryToInteger(ref ctx, value, size, out integer))
                {
                    integer = (long)FloatConversion.IntegerIndefinite(size);
                }

                BinaryPrimitives.WriteInt64LittleEndian(bytes, integer);
                return size;
        }
    }
}
