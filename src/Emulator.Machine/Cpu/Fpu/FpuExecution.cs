using System.Buffers.Binary;
using Iced.Intel;

namespace Emulator.Machine.Cpu.Fpu;

/// <summary>
/// What the x87 instruction groups share: the register file, memory operands, reading a source in
/// any memory format, the stack-fault responses (Intel SDM vol. 1, 8.5.1.1) and merging an
/// operation's flags into the status word.
/// </summary>
internal sealed class FpuExecution(ExecutionCore core)
{
    public ExecutionCore Core => core;

    public X87State State => core.Fpu;

    public FpuMemory Memory { get; } = new(core);

    public static int StackIndex(in Instruction instruction, int operand) => instruction.GetOpRegister(operand) - Register.ST0;

    public FloatContext NewContext() => new(State.Control);

    /// <summary>
    /// Reads a memory source operand (m32fp, m64fp, m80fp, m16int, m32int, m64int, m80bcd) as an
    /// 80-bit value; loading a single or double raises DE for a denormal and IE for an SNaN.
    /// </summary>
    public bool TryReadSource(ref DecodedInstruction d, ref FloatContext ctx, out Float80 value)
    {
        value = default;
        Span<byte> bytes = stackalloc byte[10];
        switch (d.Instr.MemorySize)
        {
            case MemorySize.Float32:
                if (!core.TryRead(d.Seg, core.Offset(ref d), 4, out var single))
                {
                    return false;
                }

                value = FloatConversion.FromSingle(ref ctx, single);
                return true;
            case MemorySize.Float64:
                if (!Memory.TryRead(ref d, 0, bytes[..8]))
                {
                    return false;
                }

                value = FloatConversion.FromDouble(ref ctx, BinaryPrimitives.ReadUInt64LittleEndian(bytes));
                return true;
            case MemorySize.Float80:
                if (!Memory.TryRead(ref d, 0, bytes))
                {
                    return false;
                }

                value = FpuMemory.ReadFloat80(bytes);
                return true;
            case MemorySize.Int16:
                if (!core.TryRead(d.Seg, core.Offset(ref d), 2, out var word))
                {
                    return false;
                }

                value = FloatConversion.FromInt64((short)word);
                return true;
            case MemorySize.Int32:
                if (!core.TryRead(d.Seg, core.Offset(ref d), 4, out var dword))
                {
                    return false;
                }

                value = FloatConversion.FromInt64((int)dword);
                return true;
            case MemorySize.Int64:
                if (!Memory.TryRead(ref d, 0, bytes[..8]))
                {
                    return false;
                }

                value = FloatConversion.FromInt64(BinaryPrimitives.ReadInt64LittleEndian(bytes));
                return true;
            case MemorySize.Bcd:
                if (!Memory.TryRead(ref d, 0, bytes))
                {
                    return false;
                }

                value = FloatConversion.FromBcd(bytes);
                return true;
            default:
                return core.Raise(ExceptionVector.InvalidOpcode);
        }
    }

    /// <summary>
    /// A source register was empty: IE and SF with C1 clear. True when IE is masked, and the caller
    /// then delivers the real indefinite as its result.
    /// </summary>
    public static bool StackUnderflow(ref FloatContext ctx)
    {
        ctx.Raise(FpuStatus.InvalidOperation | FpuStatus.StackFault);
        ctx.RoundedUp = false;
        return ctx.IsMasked(FpuStatus.InvalidOperation);
    }

    /// <summary>
    /// Pushes <paramref name="value"/> unless ST(7) is in use: then IE and SF with C1 set, and a masked
    /// IE pushes the real indefinite instead (an unmasked one pushes nothing).
    /// </summary>
    public void Push(ref FloatContext ctx, Float80 value)
    {
        if (!State.IsEmpty(X87State.RegisterCount - 1))
        {
            ctx.Raise(FpuStatus.InvalidOperation | FpuStatus.StackFault);
            ctx.RoundedUp = true;
            if (!ctx.IsMasked(FpuStatus.InvalidOperation))
            {
                return;
            }

            value = Float80.Indefinite;
        }

        State.Push(value);
    }

    /// <summary>Merges the flags an operation raised into the status word, sets C1 from it and updates ES/B.</summary>
    public void Finish(ref FloatContext ctx)
    {
        var status = (ushort)(State.Status | ctx.Flags);
        status = ctx.RoundedUp ? (ushort)(status | FpuStatus.C1) : (ushort)(status & ~FpuStatus.C1);
        State.Status = status;
        State.UpdateErrorSummary();
    }

    public void SetConditionCodes(ushort codes) =>
        State.Status = (ushort)((State.Status & ~FpuStatus.ConditionCodes) | codes);
}
