namespace Emulator.Machine.Cpu;

/// <summary>
/// The protected-mode selector checks (Intel SDM vol. 2, LAR, LSL, VERR, VERW, ARPL): each reads a
/// descriptor without loading it and reports through ZF instead of faulting — a selector past its
/// table, a null one, the wrong type or too little privilege just clear ZF. Only reading the operand
/// or the descriptor table itself can fault. All are #UD in real and virtual-8086 mode. Linux runs
/// VERW on every return to user space (the MDS buffer clear).
/// </summary>
internal sealed class SelectorCheckUnit(ExecutionCore core, SegmentUnit segments)
{
    private const uint LarMask32 = 0x00F0_FF00;
    private const uint LarMask16 = 0xFF00;
    private const int SelectorSize = 2;

    /// <summary>System descriptor types LAR accepts: TSSs, the LDT, call and task gates (not interrupt or trap gates).</summary>
    private const ushort LarSystemTypes = (1 << 0x1) | (1 << 0x2) | (1 << 0x3) | (1 << 0x4) | (1 << 0x5) | (1 << 0x9) | (1 << 0xB) | (1 << 0xC);

    /// <summary>System descriptor types LSL accepts: TSSs and the LDT (gates have no limit).</summary>
    private const ushort LslSystemTypes = (1 << 0x1) | (1 << 0x2) | (1 << 0x3) | (1 << 0x9) | (1 << 0xB);

    /// <summary>LAR r, r/m16: the descriptor's access rights into r when the selector is visible at CPL and RPL.</summary>
    public bool LoadAccessRights(ref DecodedInstruction d) => Query(ref d, LarSystemTypes, accessRights: true);

    /// <summary>LSL r, r/m16: the descriptor's byte-granular limit into r.</summary>
    public bool LoadSegmentLimit(ref DecodedInstruction d) => Query(ref d, LslSystemTypes, accessRights: false);

    /// <summary>VERR r/m16 (<paramref name="write"/> false) and VERW r/m16: could the segment be read (written) at CPL?</summary>
    public bool Verify(ref DecodedInstruction d, bool write)
    {
        if (!RequireProtected() || !core.TryReadRm0(ref d, SelectorSize, out var value))
        {
            return false;
        }

        var selector = (ushort)value;
        if (!TryRead(selector, out var found, out _, out var high))
        {
            return false;
        }

        var ok = found && Verifiable(DescriptorAccess.FromHighDword(high), selector, write);
        SetZero(ok);
        return true;
    }

    /// <summary>ARPL r/m16, r16: raises the destination selector's RPL to the source's; ZF tells whether it changed.</summary>
    public bool AdjustRpl(ref DecodedInstruction d)
    {
        if (!RequireProtected() || !core.TryReadRm0ForWrite(ref d, SelectorSize, out var linear, out var destination))
        {
            return false;
        }

        var source = core.ReadReg(d.Reg1, d.Shift1, SelectorSize);
        var rpl = source & ExecutionCore.SelectorRplMask;
        if ((destination & ExecutionCore.SelectorRplMask) >= rpl)
        {
            SetZero(false);
            return true;
        }

        if (!core.WriteRm0Back(ref d, SelectorSize, linear, (destination & ~(uint)ExecutionCore.SelectorRplMask) | rpl))
        {
            return false;
        }

        SetZero(true);
        return true;
    }

    private bool Query(ref DecodedInstruction d, ushort systemTypes, bool accessRights)
    {
        if (!RequireProtected() || !core.TryReadOperand1(ref d, SelectorSize, out var value))
        {
            return false;
        }

        var selector = (ushort)value;
        if (!TryRead(selector, out var found, out var low, out var high))
        {
            return false;
        }

        var access = DescriptorAccess.FromHighDword(high);
        var ok = found && Visible(access, selector, systemTypes);
        if (ok)
        {
            var result = accessRights
                ? high & (d.Size == 4 ? LarMask32 : LarMask16)
                : SegmentUnit.ExpandedLimit(low, high);
            core.WriteReg(d.Reg0, 0, d.Size, result);
        }

        SetZero(ok);
        return true;
    }

    /// <summary>
    /// The descriptor a check looks at; <paramref name="found"/> is false for a selector of index 0 (in
    /// either table, as QEMU treats it), which is not read, and for one past its table's limit.
    /// </summary>
    private bool TryRead(ushort selector, out bool found, out uint low, out uint high)
    {
        if (SegmentSelector.IsNull(selector))
        {
            found = false;
            low = high = 0;
            return true;
        }

        return segments.TryReadRawDescriptor(selector, out found, out low, out high);
    }

    /// <summary>LAR/LSL: a code or data segment visible at max(CPL, RPL) (conforming code always), or an accepted system type.</summary>
    private bool Visible(byte access, ushort selector, ushort systemTypes)
    {
        if ((access & DescriptorAccess.CodeOrData) == 0)
        {
            return ((systemTypes >> (access & DescriptorAccess.SystemTypeMask)) & 1) != 0 && PrivilegeAllows(access, selector);
        }

        return DescriptorAccess.IsConformingCode(access) || PrivilegeAllows(access, selector);
    }

    private bool Verifiable(byte access, ushort selector, bool write)
    {
        if ((access & DescriptorAccess.CodeOrData) == 0)
        {
            return false;
        }

        if (write)
        {
            return DescriptorAccess.IsWritableData(access) && PrivilegeAllows(access, selector);
        }

        if (DescriptorAccess.IsCode(access))
        {
            return (access & DescriptorAccess.ReadWrite) != 0
                && (DescriptorAccess.IsConformingCode(access) || PrivilegeAllows(access, selector));
        }

        return PrivilegeAllows(access, selector);
    }

    private bool PrivilegeAllows(byte access, ushort selector)
    {
        var dpl = DescriptorAccess.Dpl(access);
        return dpl >= core.Cpl && dpl >= (selector & ExecutionCore.SelectorRplMask);
    }

    private bool RequireProtected() =>
        (core.R.ProtectedMode && (core.R.Flags & Eflags.Virtual8086) == 0) || core.Raise(ExceptionVector.InvalidOpcode);

    private void SetZero(bool set) => core.R.Flags = set ? core.R.Flags | Eflags.Zero : core.R.Flags & ~Eflags.Zero;
}
