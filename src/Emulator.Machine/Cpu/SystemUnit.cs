using Iced.Intel;

namespace Emulator.Machine.Cpu;

/// <summary>
/// System and segment instructions: MOV to/from segment registers, LDS/LES/LSS/LFS/LGS, MOV CRn,
/// LGDT/LIDT/SGDT/SIDT, SMSW/LMSW/CLTS, CLI/STI, HLT, CPUID and RDTSC (WAIT and the x87 escapes
/// are <see cref="Fpu.FpuUnit"/>'s). Control-register writes keep the memory unit's TLB coherent.
/// </summary>
internal sealed class SystemUnit(ExecutionCore core, SegmentUnit segments)
{
    /// <summary>CPUID leaf 1 EAX: family 6, model 3, stepping 3 (a Pentium II-class identity, as the i686 instructions CMOV and RDTSC are there).</summary>
    public const uint ProcessorSignature = 0x0000_0633;
    private const uint HighestLeaf = 1;

    /// <summary>"GenuineIntel" as CPUID leaf 0 returns it in EBX, EDX, ECX (little-endian ASCII).</summary>
    private const uint VendorEbx = 0x756E_6547;
    private const uint VendorEdx = 0x4965_6E69;
    private const uint VendorEcx = 0x6C65_746E;

    /// <summary>Leaf 1 EDX bits (Intel SDM vol. 2A, CPUID, table 3-11) for what this CPU implements.</summary>
    /// <summary>CPUID.1:ECX bit 31: running under a hypervisor, which QEMU sets too (Linux then skips the PMU it would probe).</summary>
    private const uint FeatureEcxHypervisor = 1u << 31;
    private const uint FeatureFpu = 1 << 0;
    private const uint FeaturePse = 1 << 3;
    private const uint FeatureTsc = 1 << 4;
    private const uint FeatureMsr = 1 << 5;
    private const uint FeaturePae = 1 << 6;
    private const uint FeatureCx8 = 1 << 8;
    private const uint FeaturePge = 1 << 13;
    private const uint FeatureCmov = 1 << 15;

    /// <summary>Leaf 1 EDX: FPU, PSE, TSC, MSR (<see cref="ModelSpecificRegisters"/>), PAE, CX8, PGE and CMOV.</summary>
    private const uint FeatureFlags = FeatureFpu | FeaturePse | FeatureTsc | FeatureMsr | FeaturePae | FeatureCx8 | FeaturePge | FeatureCmov;

    private const uint Base24BitMask = 0x00FF_FFFF;
    private const int Cr0Index = 0;
    private const int Cr2Index = 2;
    private const int Cr3Index = 3;
    private const int Cr4Index = 4;

    public bool MoveToSegment(ref DecodedInstruction d)
    {
        if (d.Aux == ExecutionCore.Cs)
        {
            return core.Raise(ExceptionVector.InvalidOpcode);
        }

        if (!core.TryReadOperand1(ref d, 2, out var selector) || !segments.TryLoad(d.Aux, (ushort)selector))
        {
            return false;
        }

        if (d.Aux == ExecutionCore.Ss)
        {
            core.InterruptShadow = true;
        }

        return true;
    }

    public bool MoveFromSegment(ref DecodedInstruction d)
    {
        var size = d.Form0 == OperandForm.Register ? d.Size : 2;
        return core.TryWriteRm0(ref d, size, core.Seg[d.Aux].Selector);
    }

    public bool LoadFarPointer(ref DecodedInstruction d)
    {
        int size = d.Size;
        var offset = core.Offset(ref d);
        if (!core.TryRead(d.Seg, offset, size, out var value)
            || !core.TryRead(d.Seg, (offset + (uint)size) & d.AddrMask, 2, out var selector)
            || !segments.TryLoad(d.Aux, (ushort)selector))
        {
            return false;
        }

        core.WriteReg(d.Reg0, 0, size, value);
        if (d.Aux == ExecutionCore.Ss)
        {
            core.InterruptShadow = true;
        }

        return true;
    }

    /// <summary>
    /// MOV CRn. CR0: PG without PE is #GP; a change of PG, PE or WP flushes the whole TLB. CR3: flushes
    /// non-global entries (and reloads the PAE PDPTEs). CR4: only PSE, PAE and PGE are implemented
    /// (other bits #GP); a change of any of them flushes the whole TLB (Intel SDM vol. 3, 4.10.4.1).
    /// </summary>
    public bool MoveToControl(ref DecodedInstruction d)
    {
        if (!core.RequireCpl0())
        {
            return false;
        }

        var value = core.Reg(d.Reg1);
        switch (d.Aux)
        {
            case Cr0Index:
            {
                if ((value & (ControlRegisters.Paging | ControlRegisters.ProtectionEnable)) == ControlRegisters.Paging)
                {
                    return core.RaiseGeneralProtection(0);
                }

                var old = core.R.CR0;
                core.R.CR0 = value | ControlRegisters.ExtensionType;
                if (((old ^ core.R.CR0) & ControlRegisters.Cr0TlbBits) != 0)
                {
                    core.Mmu.FlushAll();
                }

                return true;
            }

            case Cr2Index:
                core.R.CR2 = value;
                return true;
            case Cr3Index:
                core.R.CR3 = value;
                core.Mmu.OnCr3Load();
                return true;
            case Cr4Index:
            {
                if ((value & ~ControlRegisters.Cr4Supported) != 0)
                {
                    return core.RaiseGeneralProtection(0);
                }

                var old = core.R.CR4;
                core.R.CR4 = value;
                if (((old ^ value) & ControlRegisters.Cr4TlbBits) != 0)
                {
                    core.Mmu.FlushAll();
                }

                return true;
            }

            default:
                return core.Raise(ExceptionVector.InvalidOpcode);
        }
    }

    public bool MoveFromControl(ref DecodedInstruction d)
    {
        if (!core.RequireCpl0())
        {
            return false;
        }

        uint value;
        switch (d.Aux)
        {
            case Cr0Index:
                value = core.R.CR0;
                break;
            case Cr2Index:
                value = core.R.CR2;
                break;
            case Cr3Index:
                value = core.R.CR3;
                break;
            case Cr4Index:
                value = core.R.CR4;
                break;
            default:
                return core.Raise(ExceptionVector.InvalidOpcode);
        }

        core.Reg(d.Reg0) = value;
        return true;
    }

    /// <summary>INVLPG m: drops the TLB entry of the page holding the operand's linear address (no segment check, as on the hardware).</summary>
    public bool InvalidatePage(ref DecodedInstruction d)
    {
        if (!core.RequireCpl0())
        {
            return false;
        }

        core.Mmu.Invalidate(core.Seg[d.Seg].Base + core.Offset(ref d));
        return true;
    }

    /// <summary>LGDT/LIDT: a 16-bit operand size loads only 24 bits of the base.</summary>
    public bool LoadTable(ref DecodedInstruction d, bool interruptTable)
    {
        if (!core.RequireCpl0())
        {
            return false;
        }

        var offset = core.Offset(ref d);
        if (!core.TryRead(d.Seg, offset, 2, out var limit) || !core.TryRead(d.Seg, (offset + 2) & d.AddrMask, 4, out var tableBase))
        {
            return false;
        }

        if (d.Instr.Code is Code.Lgdt_m1632_16 or Code.Lidt_m1632_16)
        {
            tableBase &= Base24BitMask;
        }

        if (interruptTable)
        {
            core.R.IdtrBase = tableBase;
            core.R.IdtrLimit = (ushort)limit;
        }
        else
        {
            core.R.GdtrBase = tableBase;
            core.R.GdtrLimit = (ushort)limit;
        }

        return true;
    }

    /// <summary>SGDT/SIDT: both parts are proved writable before either is written.</summary>
    public bool StoreTable(ref DecodedInstruction d, bool interruptTable)
    {
        var offset = core.Offset(ref d);
        var limit = interruptTable ? core.R.IdtrLimit : core.R.GdtrLimit;
        var tableBase = interruptTable ? core.R.IdtrBase : core.R.GdtrBase;
        return core.TryLinear(d.Seg, (offset + 2) & d.AddrMask, 4, out var high)
            && core.Mmu.TryCheckWrite(high, 4)
            && core.TryWrite(d.Seg, offset, 2, limit)
            && core.Mmu.TryWrite(high, 4, tableBase);
    }

    public bool StoreMachineStatus(ref DecodedInstruction d)
    {
        var size = d.Form0 == OperandForm.Register ? d.Size : 2;
        return core.TryWriteRm0(ref d, size, core.R.CR0 & Alu.Mask(size));
    }

    /// <summary>LMSW loads PE, MP, EM and TS; it can set PE but not clear it.</summary>
    public bool LoadMachineStatus(ref DecodedInstruction d)
    {
        if (!core.RequireCpl0() || !core.TryReadRm0(ref d, 2, out var value))
        {
            return false;
        }

        var cr0 = core.R.CR0;
        core.R.CR0 = (cr0 & ~ControlRegisters.LmswBits) | (value & ControlRegisters.LmswBits) | (cr0 & ControlRegisters.ProtectionEnable);
        if (((cr0 ^ core.R.CR0) & ControlRegisters.Cr0TlbBits) != 0)
        {
            core.Mmu.FlushAll();
        }

        return true;
    }

    public bool ClearTaskSwitched()
    {
        if (!core.RequireCpl0())
        {
            return false;
        }

        core.R.CR0 &= ~ControlRegisters.TaskSwitched;
        return true;
    }

    public void Cpuid()
    {
        var leaf = core.Reg(CpuRegisters.Eax);
        switch (leaf)
        {
            case 0:
                SetCpuid(HighestLeaf, VendorEbx, VendorEcx, VendorEdx);
                break;
            case 1:
                SetCpuid(ProcessorSignature, 0, FeatureEcxHypervisor, FeatureFlags);
                break;
            default:
                SetCpuid(0, 0, 0, 0);
                break;
        }
    }

    /// <summary>RDTSC: EDX:EAX = the time-stamp counter (<see cref="ExecutionCore.TimeStampCounter"/>); #GP(0) outside ring 0 with CR4.TSD.</summary>
    public bool ReadTimeStampCounter()
    {
        if ((core.R.CR4 & ControlRegisters.TimeStampDisable) != 0 && !core.RequireCpl0())
        {
            return false;
        }

        var tsc = core.ReadTimeStampCounter();
        core.Reg(CpuRegisters.Eax) = (uint)tsc;
        core.Reg(CpuRegisters.Edx) = (uint)(tsc >> 32);
        return true;
    }

    public bool ClearInterrupts()
    {
        if (!core.RequireIopl())
        {
            return false;
        }

        core.R.Flags &= ~Eflags.Interrupt;
        return true;
    }

    public bool SetInterrupts()
    {
        if (!core.RequireIopl())
        {
            return false;
        }

        if ((core.R.Flags & Eflags.Interrupt) == 0)
        {
            core.InterruptShadow = true;
        }

        core.R.Flags |= Eflags.Interrupt;
        return true;
    }

    /// <summary>INVD/WBINVD: privileged; there are no caches to write back or drop.</summary>
    public bool InvalidateCaches() => core.RequireCpl0();

    public bool Halt()
    {
        if (!core.RequireCpl0())
        {
            return false;
        }

        core.Halted = true;
        return true;
    }

    private void SetCpuid(uint eax, uint ebx, uint ecx, uint edx)
    {
        core.Reg(CpuRegisters.Eax) = eax;
        core.Reg(CpuRegisters.Ebx) = ebx;
        core.Reg(CpuRegisters.Ecx) = ecx;
        core.Reg(CpuRegisters.Edx) = edx;
    }
}
