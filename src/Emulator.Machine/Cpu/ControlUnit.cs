namespace Emulator.Machine.Cpu;

/// <summary>
/// Control transfers (JMP, Jcc, CALL, RET, LOOP, JCXZ, far forms), software interrupts (INT, INT3,
/// INTO, BOUND), IRET, and the stack instructions (PUSH, POP, PUSHA, POPA, PUSHF, POPF, ENTER, LEAVE).
/// Near targets are relative to the next instruction and masked to the operand size.
/// </summary>
internal sealed class ControlUnit(ExecutionCore core, SegmentUnit segments, InterruptUnit interrupts)
{
    private const int MaxEnterNesting = 31;

    public void Jump(ref DecodedInstruction d) => core.Branch(core.R.EIP + d.Imm, d.Size);

    public void JumpConditional(ref DecodedInstruction d)
    {
        if (core.Condition(d.Aux))
        {
            core.Branch(core.R.EIP + d.Imm, d.Size);
        }
    }

    public void JumpIndirect(ref DecodedInstruction d) => core.Branch(core.ReadRm0(ref d, d.Size), d.Size);

    public void JumpFar(ref DecodedInstruction d)
    {
        var target = d.Size == 4 ? d.Instr.FarBranch32 : d.Instr.FarBranch16;
        segments.LoadCode(d.Instr.FarBranchSelector);
        core.Branch(target, d.Size);
    }

    public void JumpFarIndirect(ref DecodedInstruction d)
    {
        var (selector, offset) = ReadFarPointer(ref d);
        segments.LoadCode(selector);
        core.Branch(offset, d.Size);
    }

    public void Call(ref DecodedInstruction d)
    {
        var next = core.R.EIP;
        core.Push(next, d.Size);
        core.Branch(next + d.Imm, d.Size);
    }

    public void CallIndirect(ref DecodedInstruction d)
    {
        var target = core.ReadRm0(ref d, d.Size);
        core.Push(core.R.EIP, d.Size);
        core.Branch(target, d.Size);
    }

    public void CallFar(ref DecodedInstruction d)
    {
        var target = d.Size == 4 ? d.Instr.FarBranch32 : d.Instr.FarBranch16;
        FarCall(d.Instr.FarBranchSelector, target, d.Size);
    }

    public void CallFarIndirect(ref DecodedInstruction d)
    {
        var (selector, offset) = ReadFarPointer(ref d);
        FarCall(selector, offset, d.Size);
    }

    public void Return(ref DecodedInstruction d)
    {
        var target = core.Pop(d.Size);
        core.AdjustStack(d.Form0 == OperandForm.Immediate ? d.Imm & Alu.WordMask : 0);
        core.Branch(target, d.Size);
    }

    public void ReturnFar(ref DecodedInstruction d)
    {
        var offset = core.PeekStack(0, d.Size);
        var selector = (ushort)core.PeekStack((uint)d.Size, d.Size);
        segments.LoadCode(selector);
        core.AdjustStack((uint)(2 * d.Size) + (d.Form0 == OperandForm.Immediate ? d.Imm & Alu.WordMask : 0));
        core.Branch(offset, d.Size);
    }

    /// <summary>LOOP/LOOPE/LOOPNE/JCXZ: the address size picks CX or ECX.</summary>
    public void Loop(ref DecodedInstruction d)
    {
        ref var ecx = ref core.Reg(CpuRegisters.Ecx);
        var mask = d.AddrMask;
        bool taken;
        if (d.Op == Op.Jcxz)
        {
            taken = (ecx & mask) == 0;
        }
        else
        {
            var count = (ecx - 1) & mask;
            ecx = (ecx & ~mask) | count;
            var zero = (core.R.Flags & Eflags.Zero) != 0;
            taken = count != 0 && d.Op switch
            {
                Op.Loope => zero,
                Op.Loopne => !zero,
                _ => true,
            };
        }

        if (taken)
        {
            core.Branch(core.R.EIP + d.Imm, d.Size);
        }
    }

    public void SoftwareInterrupt(byte vector) => interrupts.Deliver(vector, core.R.EIP, ExceptionVector.NoErrorCode, false);

    public void InterruptOnOverflow()
    {
        if ((core.R.Flags & Eflags.Overflow) != 0)
        {
            SoftwareInterrupt(ExceptionVector.Overflow);
        }
    }

    /// <summary>BOUND: #BR (a fault: the pushed IP is BOUND's own) when the index is outside [lower, upper].</summary>
    public void Bound(ref DecodedInstruction d)
    {
        int size = d.Size;
        var offset = core.Offset(ref d);
        var lower = core.Read(core.Linear(d.Seg, offset, size), size);
        var upper = core.Read(core.Linear(d.Seg, (offset + (uint)size) & d.AddrMask, size), size);
        var index = core.ReadReg(d.Reg0, 0, size);
        var signedIndex = size == 4 ? (int)index : (short)index;
        var signedLower = size == 4 ? (int)lower : (short)lower;
        var signedUpper = size == 4 ? (int)upper : (short)upper;
        if (signedIndex < signedLower || signedIndex > signedUpper)
        {
            throw ExceptionVector.Fault(ExceptionVector.BoundRange);
        }
    }

    public void Push(ref DecodedInstruction d)
    {
        int size = d.Size;
        var value = d.Form0 switch
        {
            OperandForm.Register => core.ReadReg(d.Reg0, 0, size),
            OperandForm.Immediate => d.Imm,
            _ => core.Read(core.MemoryLinear(ref d, size), size),
        };
        core.Push(value & Alu.Mask(size), size);
    }

    /// <summary>POP r/m: a memory destination addressed through ESP uses ESP's value after the pop.</summary>
    public void Pop(ref DecodedInstruction d)
    {
        int size = d.Size;
        var value = core.Pop(size);
        if (d.Form0 == OperandForm.Register)
        {
            core.WriteReg(d.Reg0, 0, size, value);
            return;
        }

        core.Write(core.MemoryLinear(ref d, size), size, value);
    }

    public void PushSegment(ref DecodedInstruction d) => core.Push(core.Seg[d.Aux].Selector, d.Size);

    public void PopSegment(ref DecodedInstruction d)
    {
        var selector = core.PeekStack(0, d.Size);
        segments.Load(d.Aux, (ushort)selector);
        core.AdjustStack((uint)d.Size);
        if (d.Aux == ExecutionCore.Ss)
        {
            core.InterruptShadow = true;
        }
    }

    public void PushAll(ref DecodedInstruction d)
    {
        int size = d.Size;
        var sp = core.Reg(CpuRegisters.Esp);
        for (var reg = CpuRegisters.Eax; reg <= CpuRegisters.Edi; reg++)
        {
            core.Push(reg == CpuRegisters.Esp ? sp : core.Reg(reg), size);
        }
    }

    public void PopAll(ref DecodedInstruction d)
    {
        int size = d.Size;
        for (var reg = CpuRegisters.Edi; reg >= CpuRegisters.Eax; reg--)
        {
            var value = core.Pop(size);
            if (reg != CpuRegisters.Esp)
            {
                core.WriteReg(reg, 0, size, value);
            }
        }
    }

    public void PushFlags(ref DecodedInstruction d) =>
        core.Push(core.R.Flags & ~(Eflags.Resume | Eflags.Virtual8086) & Alu.Mask(d.Size), d.Size);

    public void PopFlags(ref DecodedInstruction d)
    {
        var value = core.Pop(d.Size);
        interrupts.WriteFlags(value, d.Size);
    }

    public void Enter(ref DecodedInstruction d)
    {
        int size = d.Size;
        var frameSize = (uint)d.Instr.Immediate16;
        var nesting = d.Instr.Immediate8_2nd & MaxEnterNesting;
        var stackMask = core.StackMask;
        core.Push(core.Reg(CpuRegisters.Ebp), size);
        var frame = core.Reg(CpuRegisters.Esp) & stackMask;
        if (nesting > 0)
        {
            var bp = core.Reg(CpuRegisters.Ebp);
            for (var level = 1; level < nesting; level++)
            {
                bp = (bp - (uint)size) & stackMask;
                core.Push(core.Read(core.Linear(ExecutionCore.Ss, bp, size), size), size);
            }

            core.Push(frame, size);
        }

        core.WriteReg(CpuRegisters.Ebp, 0, size, frame);
        core.AdjustStack(0u - frameSize);
    }

    public void Leave(ref DecodedInstruction d)
    {
        var mask = core.StackMask;
        ref var sp = ref core.Reg(CpuRegisters.Esp);
        sp = (sp & ~mask) | (core.Reg(CpuRegisters.Ebp) & mask);
        core.WriteReg(CpuRegisters.Ebp, 0, d.Size, core.Pop(d.Size));
    }

    public void InterruptReturn(ref DecodedInstruction d) => interrupts.Return(d.Size);

    private void FarCall(ushort selector, uint offset, int size)
    {
        var oldCs = core.Seg[ExecutionCore.Cs].Selector;
        var next = core.R.EIP;
        core.Push(oldCs, size);
        core.Push(next, size);
        segments.LoadCode(selector);
        core.Branch(offset, size);
    }

    private (ushort Selector, uint Offset) ReadFarPointer(ref DecodedInstruction d)
    {
        int size = d.Size;
        var offset = core.Offset(ref d);
        var target = core.Read(core.Linear(d.Seg, offset, size), size);
        var selector = core.Read(core.Linear(d.Seg, (offset + (uint)size) & d.AddrMask, 2), 2);
        return ((ushort)selector, target);
    }
}
