using Iced.Intel;

namespace Emulator.Machine.Cpu;

/// <summary>
/// System and segment instructions: MOV to/from segment registers, LDS/LES/LSS/LFS/LGS, MOV CRn,
/// LGDT/LIDT/SGDT/SIDT, SMSW/LMSW/CLTS, CLI/STI, HLT, CPUID, WAIT and the FPU escapes.
/// There is no FPU: an escape is a no-op unless CR0.EM or CR0.TS is set, which raises #NM, as on a
/// 386 without a coprocessor. CR0.PG is stored but paging is not emulated.
/// </summary>
internal sealed class SystemUnit(ExecutionCore core, SegmentUnit segments)
{
    /// <summary>CPUID leaf 1 EAX: family 5, model 2, stepping 12 (a Pentium-class identity).</summary>
    private const uint ProcessorSignature = 0x0000_052C;
    private const uint HighestLeaf = 1;

    /// <summary>"GenuineIntel" as CPUID leaf 0 returns it in EBX, EDX, ECX (little-endian ASCII).</summary>
    private const uint VendorEbx = 0x756E_6547;
    private const uint VendorEdx = 0x4965_6E69;
    private const uint VendorEcx = 0x6C65_746E;

    /// <summary>Leaf 1 EDX: no FPU, no TSC, nothing else either (no CX8, PSE or MSRs are emulated).</summary>
    private const uint FeatureFlags = 0;

    private const uint Base24BitMask = 0x00FF_FFFF;
    private const int Cr0Index = 0;
    private const int Cr2Index = 2;
    private const int Cr3Index = 3;
    private const int Cr4Index = 4;

    public void MoveToSegment(ref DecodedInstruction d)
    {
        if (d.Aux == ExecutionCore.Cs)
        {
            throw ExceptionVector.Fault(ExceptionVector.InvalidOpcode);
        }

        segments.Load(d.Aux, (ushort)core.ReadOperand1(ref d, 2));
        if (d.Aux == ExecutionCore.Ss)
        {
            core.InterruptShadow = true;
        }
    }

    public void MoveFromSegment(ref DecodedInstruction d)
    {
        var size = d.Form0 == OperandForm.Register ? d.Size : 2;
        core.WriteRm0(ref d, size, core.Seg[d.Aux].Selector);
    }

    public void LoadFarPointer(ref DecodedInstruction d)
    {
        int size = d.Size;
        var offset = core.Offset(ref d);
        var value = core.Read(core.Linear(d.Seg, offset, size), size);
        var selector = core.Read(core.Linear(d.Seg, (offset + (uint)size) & d.AddrMask, 2), 2);
        segments.Load(d.Aux, (ushort)selector);
        core.WriteReg(d.Reg0, 0, size, value);
        if (d.Aux == ExecutionCore.Ss)
        {
            core.InterruptShadow = true;
        }
    }

    public void MoveToControl(ref DecodedInstruction d)
    {
        var value = core.Reg(d.Reg1);
        switch (d.Aux)
        {
            case Cr0Index:
                core.R.CR0 = value | ControlRegisters.ExtensionType;
                break;
            case Cr2Index:
                core.R.CR2 = value;
                break;
            case Cr3Index:
                core.R.CR3 = value;
                break;
            case Cr4Index:
                break;
            default:
                throw ExceptionVector.Fault(ExceptionVector.InvalidOpcode);
        }
    }

    public void MoveFromControl(ref DecodedInstruction d)
    {
        core.Reg(d.Reg0) = d.Aux switch
        {
            Cr0Index => core.R.CR0,
            Cr2Index => core.R.CR2,
            Cr3Index => core.R.CR3,
            Cr4Index => 0,
            _ => throw ExceptionVector.Fault(ExceptionVector.InvalidOpcode),
        };
    }

    /// <summary>LGDT/LIDT: a 16-bit operand size loads only 24 bits of the base.</summary>
    public void LoadTable(ref DecodedInstruction d, bool interruptTable)
    {
        var offset = core.Offset(ref d);
        var limit = (ushort)core.Read(core.Linear(d.Seg, offset, 2), 2);
        var tableBase = core.Read(core.Linear(d.Seg, (offset + 2) & d.AddrMask, 4), 4);
        if (d.Instr.Code is Code.Lgdt_m1632_16 or Code.Lidt_m1632_16)
        {
            tableBase &= Base24BitMask;
        }

        if (interruptTable)
        {
            core.R.IdtrBase = tableBase;
            core.R.IdtrLimit = limit;
        }
        else
        {
            core.R.GdtrBase = tableBase;
            core.R.GdtrLimit = limit;
        }
    }

    public void StoreTable(ref DecodedInstruction d, bool interruptTable)
    {
        var offset = core.Offset(ref d);
        var limit = interruptTable ? core.R.IdtrLimit : core.R.GdtrLimit;
        var tableBase = interruptTable ? core.R.IdtrBase : core.R.GdtrBase;
        core.Write(core.Linear(d.Seg, offset, 2), 2, limit);
        core.Write(core.Linear(d.Seg, (offset + 2) & d.AddrMask, 4), 4, tableBase);
    }

    public void StoreMachineStatus(ref DecodedInstruction d)
    {
        var size = d.Form0 == OperandForm.Register ? d.Size : 2;
        core.WriteRm0(ref d, size, core.R.CR0 & Alu.Mask(size));
    }

    /// <summary>LMSW loads PE, MP, EM and TS; it can set PE but not clear it.</summary>
    public void LoadMachineStatus(ref DecodedInstruction d)
    {
        var value = core.ReadRm0(ref d, 2);
        var cr0 = core.R.CR0;
        core.R.CR0 = (cr0 & ~ControlRegisters.LmswBits) | (value & ControlRegisters.LmswBits) | (cr0 & ControlRegisters.ProtectionEnable);
    }

    public void ClearTaskSwitched() => core.R.CR0 &= ~ControlRegisters.TaskSwitched;

    public void Cpuid()
    {
        var leaf = core.Reg(CpuRegisters.Eax);
        switch (leaf)
        {
            case 0:
                SetCpuid(HighestLeaf, VendorEbx, VendorEcx, VendorEdx);
                break;
            case 1:
                SetCpuid(ProcessorSignature, 0, 0, FeatureFlags);
                break;
            default:
                SetCpuid(0, 0, 0, 0);
                break;
        }
    }

    public void ClearInterrupts() => core.R.Flags &= ~Eflags.Interrupt;

    public void SetInterrupts()
    {
        if ((core.R.Flags & Eflags.Interrupt) == 0)
        {
            core.InterruptShadow = true;
        }

        core.R.Flags |= Eflags.Interrupt;
    }

    public void Halt() => core.Halted = true;

    /// <summary>No coprocessor answers, but a memory operand is still addressed and limit-checked (#GP at offset FFFF).</summary>
    public void FpuEscape(ref DecodedInstruction d)
    {
        if ((core.R.CR0 & (ControlRegisters.Emulation | ControlRegisters.TaskSwitched)) != 0)
        {
            throw ExceptionVector.Fault(ExceptionVector.DeviceNotAvailable);
        }

        if (d.Form0 == OperandForm.Memory || d.Form1 == OperandForm.Memory)
        {
            core.Linear(d.Seg, core.Offset(ref d), Math.Max(1, d.Instr.MemorySize.GetSize()));
        }
    }

    public void Wait()
    {
        const uint MonitorAndSwitched = ControlRegisters.MonitorCoprocessor | ControlRegisters.TaskSwitched;
        if ((core.R.CR0 & MonitorAndSwitched) == MonitorAndSwitched)
        {
            throw ExceptionVector.Fault(ExceptionVector.DeviceNotAvailable);
        }
    }

    private void SetCpuid(uint eax, uint ebx, uint ecx, uint edx)
    {
        core.Reg(CpuRegisters.Eax) = eax;
        core.Reg(CpuRegisters.Ebx) = ebx;
        core.Reg(CpuRegisters.Ecx) = ecx;
        core.Reg(CpuRegisters.Edx) = edx;
    }
}
