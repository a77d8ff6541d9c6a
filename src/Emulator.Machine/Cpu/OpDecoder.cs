using Iced.Intel;

namespace Emulator.Machine.Cpu;

/// <summary>
/// Turns an Iced <see cref="Instruction"/> into a <see cref="DecodedInstruction"/>: picks the handler,
/// the operand size and the operand forms, and unpacks the memory operand. Runs once per decode,
/// never per execution, so clarity wins over speed here.
/// </summary>
internal static class OpDecoder
{
    private const uint Address16Mask = 0xFFFF;
    private const uint Address32Mask = 0xFFFF_FFFF;
    private const int HighByteShift = 8;
    private const int FirstHighByteRegister = 4;

    private static readonly byte[] RegisterIndex = BuildRegisterIndex();

    public static void Fill(in Instruction instruction, ref DecodedInstruction d)
    {
        d.Instr = instruction;
        d.Length = (byte)instruction.Length;
        d.Base = DecodedInstruction.NoRegister;
        d.Index = DecodedInstruction.NoRegister;
        d.Scale = 0;
        d.Disp = 0;
        d.Imm = 0;
        d.Aux = 0;
        d.TierRun = 0;
        d.AddrMask = instruction.CodeSize == CodeSize.Code32 ? Address32Mask : Address16Mask;
        d.Op = Classify(instruction, ref d);
        d.Size = (byte)OperandSize(instruction, d.Op);
        d.Form0 = instruction.OpCount > 0 ? Form(instruction, 0, ref d.Reg0, ref d.Shift0, ref d) : OperandForm.None;
        d.Form1 = instruction.OpCount > 1 ? Form(instruction, 1, ref d.Reg1, ref d.Shift1, ref d) : OperandForm.None;
        if (d.Form1 == OperandForm.Immediate && d.Size is 1 or 2 or 4)
        {
            d.Imm &= Alu.Mask(d.Size);
        }

        if (instruction.OpCount > 2 && IsImmediate(instruction.GetOpKind(2)))
        {
            d.Imm = (uint)instruction.GetImmediate(2);
        }

        UnpackMemory(instruction, ref d);
        if (instruction.FlowControl is FlowControl.UnconditionalBranch or FlowControl.ConditionalBranch or FlowControl.Call
            && instruction.Op0Kind is OpKind.NearBranch16 or OpKind.NearBranch32)
        {
            d.Imm = (uint)(instruction.NearBranchTarget - instruction.NextIP);
        }
    }

    private static Op Classify(in Instruction i, ref DecodedInstruction d)
    {
        var op0Segment = i.OpCount > 0 && i.Op0Kind == OpKind.Register && i.Op0Register.IsSegmentRegister();
        var op1Segment = i.OpCount > 1 && i.Op1Kind == OpKind.Register && i.Op1Register.IsSegmentRegister();
        switch (i.Mnemonic)
        {
            case Mnemonic.Add: return Op.Add;
            case Mnemonic.Or: return Op.Or;
            case Mnemonic.Adc: return Op.Adc;
            case Mnemonic.Sbb: return Op.Sbb;
            case Mnemonic.And: return Op.And;
            case Mnemonic.Sub: return Op.Sub;
            case Mnemonic.Xor: return Op.Xor;
            case Mnemonic.Cmp: return Op.Cmp;
            case Mnemonic.Test: return Op.Test;
            case Mnemonic.Inc: return Op.Inc;
            case Mnemonic.Dec: return Op.Dec;
            case Mnemonic.Not: return Op.Not;
            case Mnemonic.Neg: return Op.Neg;
            case Mnemonic.Mov:
                if (op0Segment)
                {
                    d.Aux = SegmentIndex(i.Op0Register);
                    return Op.MovToSreg;
                }

                if (op1Segment)
                {
                    d.Aux = SegmentIndex(i.Op1Register);
                    return Op.MovFromSreg;
                }

                if (i.Op0Kind == OpKind.Register && i.Op0Register.IsCR())
                {
                    d.Aux = (byte)(i.Op0Register - Register.CR0);
                    return Op.MovToCr;
                }

                if (i.Op0Kind == OpKind.Register && i.Op0Register.IsDR())
                {
                    d.Aux = (byte)(i.Op0Register - Register.DR0);
                    return Op.MovToDr;
                }

                if (i.Op1Kind == OpKind.Register && i.Op1Register.IsDR())
                {
                    d.Aux = (byte)(i.Op1Register - Register.DR0);
                    return Op.MovFromDr;
                }

                if (i.Op1Kind == OpKind.Register && i.Op1Register.IsCR())
                {
                    d.Aux = (byte)(i.Op1Register - Register.CR0);
                    return Op.MovFromCr;
                }

                return i.Op0Kind == OpKind.Register && !i.Op0Register.IsGPR() || i.Op1Kind == OpKind.Register && !i.Op1Register.IsGPR()
                    ? Op.Invalid
                    : Op.Mov;
            case Mnemonic.Movzx or Mnemonic.Movsx:
                d.Aux = (byte)(i.Op1Kind == OpKind.Register ? i.Op1Register.GetSize() : i.MemorySize.GetSize());
                return i.Mnemonic == Mnemonic.Movzx ? Op.Movzx : Op.Movsx;
            case Mnemonic.Lea: return Op.Lea;
            case Mnemonic.Xchg: return Op.Xchg;
            case Mnemonic.Xadd: return Op.Xadd;
            case Mnemonic.Cmpxchg: return Op.Cmpxchg;
            case Mnemonic.Cmpxchg8b: return Op.Cmpxchg8b;
            case Mnemonic.Bswap: return Op.Bswap;
            case Mnemonic.Rol: return Op.Rol;
            case Mnemonic.Ror: return Op.Ror;
            case Mnemonic.Rcl: return Op.Rcl;
            case Mnemonic.Rcr: return Op.Rcr;
            case Mnemonic.Shl or Mnemonic.Sal: return Op.Shl;
            case Mnemonic.Shr: return Op.Shr;
            case Mnemonic.Sar: return Op.Sar;
            case Mnemonic.Shld: return Op.Shld;
            case Mnemonic.Shrd: return Op.Shrd;
            case Mnemonic.Mul: return Op.Mul;
            case Mnemonic.Imul: return i.OpCount == 1 ? Op.Imul1 : Op.Imul;
            case Mnemonic.Div: return Op.Div;
            case Mnemonic.Idiv: return Op.Idiv;
            case Mnemonic.Daa: return Op.Daa;
            case Mnemonic.Das: return Op.Das;
            case Mnemonic.Aaa: return Op.Aaa;
            case Mnemonic.Aas: return Op.Aas;
            case Mnemonic.Aam: return Op.Aam;
            case Mnemonic.Aad: return Op.Aad;
            case Mnemonic.Salc: return Op.Salc;
            case Mnemonic.Cbw or Mnemonic.Cwde: return Op.Cbw;
            case Mnemonic.Cwd or Mnemonic.Cdq: return Op.Cwd;
            case Mnemonic.Clc: return Op.Clc;
            case Mnemonic.Stc: return Op.Stc;
            case Mnemonic.Cmc: return Op.Cmc;
            case Mnemonic.Cld: return Op.Cld;
            case Mnemonic.Std: return Op.Std;
            case Mnemonic.Cli: return Op.Cli;
            case Mnemonic.Sti: return Op.Sti;
            case Mnemonic.Lahf: return Op.Lahf;
            case Mnemonic.Sahf: return Op.Sahf;
            case Mnemonic.Pushf or Mnemonic.Pushfd: return Op.Pushf;
            case Mnemonic.Popf or Mnemonic.Popfd: return Op.Popf;
            case Mnemonic.Push:
                if (op0Segment)
                {
                    d.Aux = SegmentIndex(i.Op0Register);
                    return Op.PushSreg;
                }

                return Op.Push;
            case Mnemonic.Pop:
                if (op0Segment)
                {
                    d.Aux = SegmentIndex(i.Op0Register);
                    return Op.PopSreg;
                }

                return Op.Pop;
            case Mnemonic.Pusha or Mnemonic.Pushad: return Op.Pusha;
            case Mnemonic.Popa or Mnemonic.Popad: return Op.Popa;
            case Mnemonic.Enter: return Op.Enter;
            case Mnemonic.Leave: return Op.Leave;
            case Mnemonic.Jmp:
                return i.Op0Kind switch
                {
                    OpKind.NearBranch16 or OpKind.NearBranch32 => Op.Jmp,
                    OpKind.FarBranch16 or OpKind.FarBranch32 => Op.JmpFar,
                    _ => i.IsJmpFarIndirect ? Op.JmpFarIndirect : Op.JmpIndirect,
                };
            case Mnemonic.Call:
                return i.Op0Kind switch
                {
                    OpKind.NearBranch16 or OpKind.NearBranch32 => Op.Call,
                    OpKind.FarBranch16 or OpKind.FarBranch32 => Op.CallFar,
                    _ => i.IsCallFarIndirect ? Op.CallFarIndirect : Op.CallIndirect,
                };
            case Mnemonic.Ret: return Op.Ret;
            case Mnemonic.Retf: return Op.Retf;
            case Mnemonic.Loop: return Op.Loop;
            case Mnemonic.Loope: return Op.Loope;
            case Mnemonic.Loopne: return Op.Loopne;
            case Mnemonic.Jcxz or Mnemonic.Jecxz: return Op.Jcxz;
            case Mnemonic.Int: return Op.Int;
            case Mnemonic.Int3: return Op.Int3;
            case Mnemonic.Int1: return Op.Int1;
            case Mnemonic.Into: return Op.Into;
            case Mnemonic.Iret or Mnemonic.Iretd: return Op.Iret;
            case Mnemonic.Bound: return Op.Bound;
            case Mnemonic.Movsb or Mnemonic.Movsw: return Op.Movs;
            case Mnemonic.Movsd: return i.Code == Code.Movsd_m32_m32 ? Op.Movs : Op.Invalid;
            case Mnemonic.Cmpsb or Mnemonic.Cmpsw: return Op.Cmps;
            case Mnemonic.Cmpsd: return i.Code == Code.Cmpsd_m32_m32 ? Op.Cmps : Op.Invalid;
            case Mnemonic.Scasb or Mnemonic.Scasw or Mnemonic.Scasd: return Op.Scas;
            case Mnemonic.Lodsb or Mnemonic.Lodsw or Mnemonic.Lodsd: return Op.Lods;
            case Mnemonic.Stosb or Mnemonic.Stosw or Mnemonic.Stosd: return Op.Stos;
            case Mnemonic.Insb or Mnemonic.Insw or Mnemonic.Insd: return Op.Ins;
            case Mnemonic.Outsb or Mnemonic.Outsw or Mnemonic.Outsd: return Op.Outs;
            case Mnemonic.In: return Op.In;
            case Mnemonic.Out: return Op.Out;
            case Mnemonic.Les: d.Aux = (byte)SegmentRegister.ES; return Op.LoadFarPointer;
            case Mnemonic.Lds: d.Aux = (byte)SegmentRegister.DS; return Op.LoadFarPointer;
            case Mnemonic.Lss: d.Aux = (byte)SegmentRegister.SS; return Op.LoadFarPointer;
            case Mnemonic.Lfs: d.Aux = (byte)SegmentRegister.FS; return Op.LoadFarPointer;
            case Mnemonic.Lgs: d.Aux = (byte)SegmentRegister.GS; return Op.LoadFarPointer;
            case Mnemonic.Bt: return Op.Bt;
            case Mnemonic.Bts: return Op.Bts;
            case Mnemonic.Btr: return Op.Btr;
            case Mnemonic.Btc: return Op.Btc;
            case Mnemonic.Bsf: return Op.Bsf;
            case Mnemonic.Bsr: return Op.Bsr;
            case Mnemonic.Hlt: return Op.Hlt;
            case Mnemonic.Wait: return Op.Wait;
            case Mnemonic.Xlatb: return Op.Xlat;
            case Mnemonic.Cpuid: return Op.Cpuid;
            case Mnemonic.Lar: return Op.Lar;
            case Mnemonic.Lsl: return Op.Lsl;
            case Mnemonic.Verr: return Op.Verr;
            case Mnemonic.Verw: return Op.Verw;
            case Mnemonic.Arpl: return Op.Arpl;
            case Mnemonic.Rdtsc: return Op.Rdtsc;
            case Mnemonic.Rdmsr: return Op.Rdmsr;
            case Mnemonic.Wrmsr: return Op.Wrmsr;
            case Mnemonic.Invd or Mnemonic.Wbinvd: return Op.InvalidateCaches;
            case Mnemonic.Lgdt: return Op.Lgdt;
            case Mnemonic.Lidt: return Op.Lidt;
            case Mnemonic.Sgdt: return Op.Sgdt;
            case Mnemonic.Sidt: return Op.Sidt;
            case Mnemonic.Smsw: return Op.Smsw;
            case Mnemonic.Lmsw: return Op.Lmsw;
            case Mnemonic.Clts: return Op.Clts;
            case Mnemonic.Invlpg: return Op.Invlpg;
            case Mnemonic.Ltr: return Op.Ltr;
            case Mnemonic.Str: return Op.Str;
            case Mnemonic.Lldt: return Op.Lldt;
            case Mnemonic.Sldt: return Op.Sldt;
            case Mnemonic.Nop: return Op.Nop;
        }

        if (i.ConditionCode != ConditionCode.None)
        {
            d.Aux = (byte)i.ConditionCode;
            if (i.FlowControl == FlowControl.ConditionalBranch)
            {
                return Op.Jcc;
            }

            if (i.Mnemonic.ToString().StartsWith("Set", StringComparison.Ordinal))
            {
                return Op.Setcc;
            }

            if (i.Mnemonic.ToString().StartsWith("Cmov", StringComparison.Ordinal))
            {
                return Op.Cmovcc;
            }
        }

        return IsFpuEscape(i) ? Op.Fpu : Op.Invalid;
    }

    /// <summary>An x87 instruction (ESC D8–DF, with or without the WAIT that FINIT-style forms include).</summary>
    private static bool IsFpuEscape(in Instruction i) =>
        Array.Exists(i.CpuidFeatures, f => f is CpuidFeature.FPU or CpuidFeature.FPU287 or CpuidFeature.FPU287XL_ONLY or CpuidFeature.FPU387 or CpuidFeature.FPU387SL_ONLY);

    private static int OperandSize(in Instruction i, Op op)
    {
        if (op == Op.Out)
        {
            return i.Op1Register.GetSize();
        }

        if (op is Op.Movs or Op.Cmps or Op.Scas or Op.Lods or Op.Stos or Op.Ins or Op.Outs)
        {
            return i.MemorySize.GetSize();
        }

        if (i.OpCount > 0 && i.Op0Kind == OpKind.Register && i.Op0Register.IsGPR())
        {
            return i.Op0Register.GetSize();
        }

        var fixedSize = i.OpCode.OperandSize;
        if (fixedSize != 0)
        {
            return fixedSize / 8;
        }

        var memorySize = i.MemorySize.GetSize();
        if (i.OpCount > 0 && i.Op0Kind == OpKind.Memory && memorySize is 1 or 2 or 4)
        {
            return memorySize;
        }

        return i.CodeSize == CodeSize.Code32 ? 4 : 2;
    }

    private static OperandForm Form(in Instruction i, int n, ref byte reg, ref byte shift, ref DecodedInstruction d)
    {
        var kind = i.GetOpKind(n);
        switch (kind)
        {
            case OpKind.Register:
                var register = i.GetOpRegister(n);
                if (!register.IsGPR())
                {
                    return OperandForm.Other;
                }

                reg = RegisterIndex[(int)register];
                shift = register.IsGPR8() && register.GetNumber() >= FirstHighByteRegister ? (byte)HighByteShift : (byte)0;
                return OperandForm.Register;
            case OpKind.Memory:
                return OperandForm.Memory;
            default:
                if (IsImmediate(kind))
                {
                    d.Imm = (uint)i.GetImmediate(n);
                    return OperandForm.Immediate;
                }

                return OperandForm.Other;
        }
    }

    private static bool IsImmediate(OpKind kind) => kind is OpKind.Immediate8 or OpKind.Immediate16 or OpKind.Immediate32
        or OpKind.Immediate8to16 or OpKind.Immediate8to32 or OpKind.Immediate8_2nd;

    private static void UnpackMemory(in Instruction i, ref DecodedInstruction d)
    {
        var hasMemory = false;
        for (var n = 0; n < i.OpCount; n++)
        {
            hasMemory |= i.GetOpKind(n) is OpKind.Memory or OpKind.MemorySegSI or OpKind.MemorySegESI;
        }

        if (hasMemory)
        {
            d.Seg = SegmentIndex(i.MemorySegment);
        }

        if (!i.HasOpKind(OpKind.Memory))
        {
            d.AddrMask = i.HasOpKind(OpKind.MemorySegESI) || i.HasOpKind(OpKind.MemoryESEDI) ? Address32Mask
                : i.HasOpKind(OpKind.MemorySegSI) || i.HasOpKind(OpKind.MemoryESDI) ? Address16Mask
                : d.AddrMask;
            if (d.Op is Op.Loop or Op.Loope or Op.Loopne or Op.Jcxz)
            {
                // The address size, not the operand size, picks CX or ECX as the counter.
                d.AddrMask = i.OpCode.AddressSize == 32 ? Address32Mask : Address16Mask;
            }

            return;
        }

        d.Disp = i.MemoryDisplacement32;
        var wide = i.MemoryBase.IsGPR32() || i.MemoryIndex.IsGPR32() || (i.MemoryBase == Register.None && i.MemoryIndex == Register.None && i.MemoryDisplSize == 4);
        d.AddrMask = wide ? Address32Mask : Address16Mask;
        if (i.MemoryBase != Register.None)
        {
            d.Base = RegisterIndex[(int)i.MemoryBase];
        }

        if (i.MemoryIndex != Register.None && i.Mnemonic != Mnemonic.Xlatb)
        {
            d.Index = RegisterIndex[(int)i.MemoryIndex];
            d.Scale = (byte)System.Numerics.BitOperations.Log2((uint)i.MemoryIndexScale);
        }
    }

    private static byte SegmentIndex(Register register) => (byte)(register - Register.ES);

    private static byte[] BuildRegisterIndex()
    {
        var values = Enum.GetValues<Register>();
        var table = new byte[values.Max(v => (int)v) + 1];
        foreach (var register in values)
        {
            if (register.IsGPR8())
            {
                var number = register.GetNumber();
                table[(int)register] = (byte)(number >= FirstHighByteRegister && number < 8 ? number - FirstHighByteRegister : number);
            }
            else if (register.IsGPR16() || register.IsGPR32())
            {
                table[(int)register] = (byte)register.GetNumber();
            }
        }

        return table;
    }
}
