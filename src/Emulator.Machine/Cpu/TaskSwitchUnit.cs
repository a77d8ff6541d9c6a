namespace Emulator.Machine.Cpu;

/// <summary>
/// Hardware task switches (Intel SDM vol. 3, 7.3): a far JMP or CALL to a TSS descriptor or a task gate,
/// an interrupt or exception through a task gate in the IDT, and IRET with NT set (back along the
/// previous-task link). The current state goes into the current TSS (32- or 16-bit layout), the new
/// task's registers, EFLAGS, LDTR, CR3 (32-bit TSS with paging on) and segments come from the new one;
/// busy bits, the link field and NT follow the reason as the SDM's table 7-2 says, TR changes and
/// CR0.TS is set. An exception's error code is pushed on the new task's stack.
/// <para>
/// Precise state: everything that can fault in the new task's segment loads is checked before the
/// switch is committed, so such a fault (#TS, #NP, #SS with the selector) is delivered in the old
/// task, where the hardware would deliver it in the new one after the switch. The TSS's T bit
/// (debug trap on switch) and V86 mode are not emulated: a VM flag in a TSS's EFLAGS is not loaded.
/// </para>
/// </summary>
internal sealed class TaskSwitchUnit(ExecutionCore core, SegmentUnit segments)
{
    private const uint Word = 0xFFFF;

    // Minimum limits: the whole 32-bit (104-byte) or 16-bit (44-byte) layout.
    private const uint Tss32MinimumLimit = 0x67;
    private const uint Tss16MinimumLimit = 0x2B;

    // 32-bit TSS fields (Intel SDM vol. 3, figure 7-2).
    private const uint Tss32Cr3 = 0x1C;
    private const uint Tss32Eip = 0x20;
    private const uint Tss32Eflags = 0x24;
    private const uint Tss32Gpr = 0x28;
    private const uint Tss32Segments = 0x48;
    private const uint Tss32Ldt = 0x60;

    // 16-bit TSS fields (figure 7-11).
    private const uint Tss16Ip = 0x0E;
    private const uint Tss16Flags = 0x10;
    private const uint Tss16Gpr = 0x12;
    private const uint Tss16Segments = 0x22;
    private const uint Tss16Ldt = 0x2A;

    private const int SegmentCount = 6;
    private const int Tss16SegmentCount = 4;
    private const int GprCount = 8;

    private readonly uint[] _gpr = new uint[GprCount];
    private readonly ushort[] _selectors = new ushort[SegmentCount];
    private readonly SegmentCache[] _savedSegments = new SegmentCache[SegmentCount];
    private readonly uint[] _savedGpr = new uint[GprCount];

    /// <summary>
    /// Switches to the task whose TSS <paramref name="selector"/> names. <paramref name="returnEip"/> is
    /// saved as the old task's EIP; <paramref name="errorCode"/> (≥ 0) is pushed in the new task.
    /// False with a fault latched when the switch faults; the old task is then intact but for the
    /// state already written to its TSS.
    /// </summary>
    public bool Switch(ushort selector, TaskSwitchReason reason, uint returnEip, int errorCode = ExceptionVector.NoErrorCode)
    {
        var nesting = reason is TaskSwitchReason.Call or TaskSwitchReason.Interrupt;
        var error = selector & SegmentSelector.ErrorMask;
        if ((selector & SegmentSelector.TableIndicator) != 0)
        {
            return Refuse(reason, error);
        }

        if (!segments.TryReadDescriptor(selector, out var tss))
        {
            return false;
        }

        var type = tss.Access & DescriptorAccess.SystemTypeMask;
        var wide = DescriptorAccess.IsTss32(tss.Access);
        var busy = type is DescriptorAccess.BusyTss16 or DescriptorAccess.BusyTss32;
        var isTss = (tss.Access & DescriptorAccess.CodeOrData) == 0 && (wide || type is DescriptorAccess.AvailableTss16 or DescriptorAccess.BusyTss16);
        if (!isTss || busy != (reason == TaskSwitchReason.Iret))
        {
            return Refuse(reason, error);
        }

        if ((tss.Access & DescriptorAccess.Present) == 0)
        {
            return core.Raise(ExceptionVector.SegmentNotPresent, error);
        }

        if (tss.Limit < (wide ? Tss32MinimumLimit : Tss16MinimumLimit))
        {
            return core.Raise(ExceptionVector.InvalidTss, error);
        }

        if (!ReadNewTask(tss, wide, out var cr3, out var eip, out var flags, out var ldt) || !SaveOldTask(reason, returnEip))
        {
            return false;
        }

        if (!Load(wide, cr3, eip, nesting ? flags | Eflags.NestedTask : flags, ldt))
        {
            return false;
        }

        var oldTr = core.R.TaskRegister;
        if (reason is TaskSwitchReason.Jump or TaskSwitchReason.Iret)
        {
            SetBusy(oldTr.Selector, oldTr.Access, busy: false);
        }

        if (nesting)
        {
            core.Mmu.TryWriteSystem(tss.Base, 2, oldTr.Selector);
        }

        tss.Access |= DescriptorAccess.TssBusy;
        if (reason != TaskSwitchReason.Iret)
        {
            SetBusy(selector, tss.Access, busy: true);
        }

        core.R.TaskRegister = tss;
        core.R.CR0 |= ControlRegisters.TaskSwitched;
        return errorCode < 0 || core.TryPush((uint)errorCode, wide ? 4 : 2);
    }

    /// <summary>A TSS selector that is not an available TSS in the GDT (busy for IRET): #GP for JMP/CALL/INT, #TS for IRET.</summary>
    private bool Refuse(TaskSwitchReason reason, int error) =>
        reason == TaskSwitchReason.Iret ? core.Raise(ExceptionVector.InvalidTss, error) : core.RaiseGeneralProtection(error);

    /// <summary>Reads every field of the new task's TSS into the unit's buffers before anything changes.</summary>
    private bool ReadNewTask(in SegmentCache tss, bool wide, out uint cr3, out uint eip, out uint flags, out ushort ldt)
    {
        cr3 = core.R.CR3;
        eip = flags = 0;
        ldt = 0;
        var slot = wide ? 4 : 2;
        var gprBase = wide ? Tss32Gpr : Tss16Gpr;
        var segmentBase = wide ? Tss32Segments : Tss16Segments;
        for (var i = 0; i < GprCount; i++)
        {
            if (!core.Mmu.TryReadSystem(tss.Base + gprBase + (uint)(i * slot), slot, out _gpr[i]))
            {
                return false;
            }
        }

        Array.Clear(_selectors);
        for (var i = 0; i < (wide ? SegmentCount : Tss16SegmentCount); i++)
        {
            if (!core.Mmu.TryReadSystem(tss.Base + segmentBase + (uint)(i * slot), 2, out var value))
            {
                return false;
            }

            _selectors[i] = (ushort)value;
        }

        uint ldtValue = 0;
        var fields = core.Mmu.TryReadSystem(tss.Base + (wide ? Tss32Eip : Tss16Ip), slot, out eip)
            && core.Mmu.TryReadSystem(tss.Base + (wide ? Tss32Eflags : Tss16Flags), slot, out flags)
            && core.Mmu.TryReadSystem(tss.Base + (wide ? Tss32Ldt : Tss16Ldt), 2, out ldtValue)
            && (!wide || (core.R.CR0 & ControlRegisters.Paging) == 0 || core.Mmu.TryReadSystem(tss.Base + Tss32Cr3, 4, out cr3));
        if (!fields)
        {
            return false;
        }

        ldt = (ushort)ldtValue;
        flags = wide ? (flags & (Eflags.Writable32 | Eflags.Resume)) | Eflags.Reserved1 : (core.R.Flags & ~Word) | (flags & Eflags.Writable16) | Eflags.Reserved1;
        return true;
    }

    /// <summary>The old task's dynamic state into its TSS, in the old TSS's layout (NT cleared for IRET).</summary>
    private bool SaveOldTask(TaskSwitchReason reason, uint returnEip)
    {
        var tr = core.R.TaskRegister;
        var wide = DescriptorAccess.IsTss32(tr.Access);
        if (tr.Limit < (wide ? Tss32Ldt - 1 : Tss16Ldt - 1))
        {
            return core.Raise(ExceptionVector.InvalidTss, tr.Selector & SegmentSelector.ErrorMask);
        }

        var slot = wide ? 4 : 2;
        var flags = reason == TaskSwitchReason.Iret ? core.R.Flags & ~Eflags.NestedTask : core.R.Flags;
        var saved = core.Mmu.TryWriteSystem(tr.Base + (wide ? Tss32Eip : Tss16Ip), slot, returnEip)
            && core.Mmu.TryWriteSystem(tr.Base + (wide ? Tss32Eflags : Tss16Flags), slot, flags);
        for (var i = 0; saved && i < GprCount; i++)
        {
            saved = core.Mmu.TryWriteSystem(tr.Base + (wide ? Tss32Gpr : Tss16Gpr) + (uint)(i * slot), slot, core.Reg(i));
        }

        for (var i = 0; saved && i < (wide ? SegmentCount : Tss16SegmentCount); i++)
        {
            saved = core.Mmu.TryWriteSystem(tr.Base + (wide ? Tss32Segments : Tss16Segments) + (uint)(i * slot), 2, core.Seg[i].Selector);
        }

        return saved;
    }

    /// <summary>
    /// Loads the new task's state and checks its LDT and segments under its own LDT and CPL; on a
    /// failure the old task's registers, segments, LDTR, CPL and CR3 come back and the fault is a #TS
    /// (or #NP/#SS) naming the selector.
    /// </summary>
    private bool Load(bool wide, uint cr3, uint eip, uint flags, ushort ldtSelector)
    {
        var oldCr3 = core.R.CR3;
        var oldLdt = core.R.LdtRegister;
        var oldCpl = core.Cpl;
        var oldEip = core.R.EIP;
        var oldFlags = core.R.Flags;
        Array.Copy(core.Seg, _savedSegments, SegmentCount);
        for (var i = 0; i < GprCount; i++)
        {
            _savedGpr[i] = core.Reg(i);
        }

        if (cr3 != oldCr3)
        {
            core.R.CR3 = cr3;
            core.Mmu.OnCr3Load();
        }

        if (LoadSegments(ldtSelector))
        {
            core.R.EIP = eip;
            core.R.Flags = flags;
            for (var i = 0; i < GprCount; i++)
            {
                core.Reg(i) = wide ? _gpr[i] : (_savedGpr[i] & ~Word) | (_gpr[i] & Word);
            }

            return true;
        }

        Array.Copy(_savedSegments, core.Seg, SegmentCount);
        core.R.LdtRegister = oldLdt;
        core.SetCpl(oldCpl);
        core.Mmu.SyncMode();
        core.R.EIP = oldEip;
        core.R.Flags = oldFlags;
        if (cr3 != oldCr3)
        {
            core.R.CR3 = oldCr3;
            core.Mmu.OnCr3Load();
        }

        if (core.Fault.Vector == ExceptionVector.GeneralProtection)
        {
            core.Raise(ExceptionVector.InvalidTss, core.Fault.ErrorCode);
        }

        return false;
    }

    private bool LoadSegments(ushort ldtSelector)
    {
        if ((ldtSelector & SegmentSelector.IndexMask) == 0)
        {
            core.R.LdtRegister = new SegmentCache { Selector = ldtSelector };
        }
        else if (!TryReadLdt(ldtSelector))
        {
            return false;
        }

        // CS: its RPL is the new task's CPL; non-conforming code needs DPL = RPL, conforming DPL ≤ RPL.
        var cs = _selectors[ExecutionCore.Cs];
        if (!segments.TryReadCode(cs, out var code))
        {
            return false;
        }

        var rpl = cs & ExecutionCore.SelectorRplMask;
        var dpl = DescriptorAccess.Dpl(code.Access);
        if (DescriptorAccess.IsConformingCode(code.Access) ? dpl > rpl : dpl != rpl)
        {
            return core.Raise(ExceptionVector.InvalidTss, cs & SegmentSelector.ErrorMask);
        }

        segments.CommitCode(code);
        if (!segments.TryReadStack(_selectors[ExecutionCore.Ss], core.Cpl, out var stack))
        {
            return false;
        }

        core.Seg[ExecutionCore.Ss] = stack;
        foreach (var segment in SegmentUnit.DataSegments)
        {
            // A 16-bit TSS holds no FS or GS: they become null (their selectors were cleared above).
            if (!segments.TryLoad(segment, _selectors[segment]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The new task's LDT: a present LDT descriptor in the GDT; #TS(selector) otherwise.</summary>
    private bool TryReadLdt(ushort selector)
    {
        if ((selector & SegmentSelector.TableIndicator) != 0 || !segments.TryReadDescriptor(selector, out var ldt)
            || (ldt.Access & (DescriptorAccess.CodeOrData | DescriptorAccess.SystemTypeMask | DescriptorAccess.Present)) != (DescriptorAccess.Ldt | DescriptorAccess.Present))
        {
            return core.Raise(ExceptionVector.InvalidTss, selector & SegmentSelector.ErrorMask);
        }

        core.R.LdtRegister = ldt;
        return true;
    }

    private void SetBusy(ushort selector, byte access, bool busy)
    {
        var value = busy ? access | DescriptorAccess.TssBusy : access & ~DescriptorAccess.TssBusy;
        core.Mmu.TryWriteSystem(core.R.GdtrBase + (uint)(selector & SegmentSelector.IndexMask) + DescriptorAccess.ByteOffset, 1, (uint)value);
    }
}
