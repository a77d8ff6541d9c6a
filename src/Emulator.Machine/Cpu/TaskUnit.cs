namespace Emulator.Machine.Cpu;

/// <summary>
/// The system-segment registers: LDTR (LLDT/SLDT) and the task register with its TSS (Intel SDM
/// vol. 3, 3.5.1 and 7.2): LTR/STR, and the inner-privilege stacks
/// (SS0:ESP0 … SS2:ESP2) an interrupt to a more privileged level switches to. 32-bit and 16-bit TSS
/// layouts are read (the I/O permission bitmap by <see cref="ExecutionCore.RequireIoPermission"/>).
/// Not emulated yet: task switches (JMP/CALL to a TSS or task gate, IRET with NT, task gates in the IDT).
/// </summary>
internal sealed class TaskUnit(ExecutionCore core, SegmentUnit segments)
{
    // Stack slots: ESPn at 4 + 8n and SSn at 8 + 8n in a 32-bit TSS; SPn at 2 + 4n and SSn at 4 + 4n in a 16-bit one.
    private const uint Tss32StackBase = 4;
    private const uint Tss32StackStride = 8;
    private const uint Tss16StackBase = 2;
    private const uint Tss16StackStride = 4;

    /// <summary>LTR r/m16: CPL 0 only; the selector must name an available TSS in the GDT, which becomes busy.</summary>
    public bool LoadTaskRegister(ref DecodedInstruction d)
    {
        if (!core.R.ProtectedMode)
        {
            return core.Raise(ExceptionVector.InvalidOpcode);
        }

        if (core.Cpl != 0)
        {
            return core.RaiseGeneralProtection(0);
        }

        if (!core.TryReadRm0(ref d, 2, out var value))
        {
            return false;
        }

        var selector = (ushort)value;
        if ((selector & SegmentSelector.IndexMask) == 0)
        {
            return core.RaiseGeneralProtection(0);
        }

        if ((selector & SegmentSelector.TableIndicator) != 0)
        {
            return core.RaiseGeneralProtection(selector & SegmentSelector.ErrorMask);
        }

        if (!segments.TryReadDescriptor(selector, out var tss))
        {
            return false;
        }

        var error = selector & SegmentSelector.ErrorMask;
        var type = tss.Access & DescriptorAccess.SystemTypeMask;
        if ((tss.Access & DescriptorAccess.CodeOrData) != 0 || type is not (DescriptorAccess.AvailableTss16 or DescriptorAccess.AvailableTss32))
        {
            return core.RaiseGeneralProtection(error);
        }

        if ((tss.Access & DescriptorAccess.Present) == 0)
        {
            return core.Raise(ExceptionVector.SegmentNotPresent, error);
        }

        tss.Access |= DescriptorAccess.TssBusy;
        if (!core.Mmu.TryWriteSystem(core.R.GdtrBase + (uint)error + DescriptorAccess.ByteOffset, 1, tss.Access))
        {
            return false;
        }

        core.R.TaskRegister = tss;
        return true;
    }

    /// <summary>
    /// LLDT r/m16: CPL 0 only; a null selector leaves no LDT (later TI = 1 selectors #GP), otherwise it
    /// must name a present LDT descriptor in the GDT.
    /// </summary>
    public bool LoadLdtRegister(ref DecodedInstruction d)
    {
        if (!core.R.ProtectedMode)
        {
            return core.Raise(ExceptionVector.InvalidOpcode);
        }

        if (!core.RequireCpl0() || !core.TryReadRm0(ref d, 2, out var value))
        {
            return false;
        }

        var selector = (ushort)value;
        if (SegmentSelector.IsNull(selector))
        {
            core.R.LdtRegister = new SegmentCache { Selector = selector };
            return true;
        }

        var error = selector & SegmentSelector.ErrorMask;
        if ((selector & SegmentSelector.TableIndicator) != 0)
        {
            return core.RaiseGeneralProtection(error);
        }

        if (!segments.TryReadDescriptor(selector, out var ldt))
        {
            return false;
        }

        if ((ldt.Access & DescriptorAccess.CodeOrData) != 0 || (ldt.Access & DescriptorAccess.SystemTypeMask) != DescriptorAccess.Ldt)
        {
            return core.RaiseGeneralProtection(error);
        }

        if ((ldt.Access & DescriptorAccess.Present) == 0)
        {
            return core.Raise(ExceptionVector.SegmentNotPresent, error);
        }

        core.R.LdtRegister = ldt;
        return true;
    }

    /// <summary>SLDT r/m16 (a register destination is zero-extended).</summary>
    public bool StoreLdtRegister(ref DecodedInstruction d)
    {
        if (!core.R.ProtectedMode)
        {
            return core.Raise(ExceptionVector.InvalidOpcode);
        }

        var size = d.Form0 == OperandForm.Register ? d.Size : 2;
        return core.TryWriteRm0(ref d, size, core.R.LdtRegister.Selector);
    }

    /// <summary>STR r/m16 (a register destination is zero-extended).</summary>
    public bool StoreTaskRegister(ref DecodedInstruction d)
    {
        if (!core.R.ProtectedMode)
        {
            return core.Raise(ExceptionVector.InvalidOpcode);
        }

        var size = d.Form0 == OperandForm.Register ? d.Size : 2;
        return core.TryWriteRm0(ref d, size, core.R.TaskRegister.Selector);
    }

    /// <summary>
    /// The stack an inner-privilege transfer (interrupt or call gate) switches to: SS:ESP for
    /// <paramref name="dpl"/> from the TSS, SS checked for that level; a failed SS check is #TS(SS).
    /// </summary>
    public bool TryReadInnerStackSegment(int dpl, out SegmentCache stack, out uint esp)
    {
        stack = default;
        if (!TryReadInnerStack(dpl, out var ss, out esp))
        {
            return false;
        }

        if (segments.TryReadStack(ss, dpl, out stack))
        {
            return true;
        }

        if (core.Fault.Vector == ExceptionVector.GeneralProtection)
        {
            core.Raise(ExceptionVector.InvalidTss, ss & SegmentSelector.ErrorMask);
        }

        return false;
    }

    /// <summary>
    /// A frame for a transfer to the more privileged level <paramref name="dpl"/> (interrupt or call gate):
    /// on the TSS's stack for that level, with the old SS:ESP already pushed; nothing committed yet.
    /// </summary>
    public bool TryOpenInnerFrame(int dpl, int size, out StackFrame frame)
    {
        frame = default;
        if (!TryReadInnerStackSegment(dpl, out var stack, out var esp))
        {
            return false;
        }

        frame = new StackFrame(core, size, stack, esp);
        return frame.TryPush(core.Seg[ExecutionCore.Ss].Selector) && frame.TryPush(core.Reg(CpuRegisters.Esp));
    }

    /// <summary>The SS:ESP for privilege <paramref name="dpl"/> from the current TSS; #TS(TR) when the slot lies past its limit.</summary>
    public bool TryReadInnerStack(int dpl, out ushort ss, out uint esp)
    {
        var tr = core.R.TaskRegister;
        var wide = DescriptorAccess.IsTss32(tr.Access);
        var offset = wide ? Tss32StackBase + ((uint)dpl * Tss32StackStride) : Tss16StackBase + ((uint)dpl * Tss16StackStride);
        var slot = wide ? 4 : 2;
        ss = 0;
        esp = 0;
        if ((tr.Selector & SegmentSelector.IndexMask) == 0 || offset + (uint)(2 * slot) - 1 > tr.Limit)
        {
            return core.Raise(ExceptionVector.InvalidTss, tr.Selector & SegmentSelector.IndexMask);
        }

        if (!core.Mmu.TryReadSystem(tr.Base + offset, slot, out esp) || !core.Mmu.TryReadSystem(tr.Base + offset + (uint)slot, 2, out var selector))
        {
            return false;
        }

        ss = (ushort)selector;
        return true;
    }
}
