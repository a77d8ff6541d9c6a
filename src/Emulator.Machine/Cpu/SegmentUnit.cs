namespace Emulator.Machine.Cpu;

/// <summary>
/// Segment register loads. Real mode: base = selector × 16 and the hidden limit and attributes stay
/// as they were (so limits loaded in protected mode survive the switch back: "unreal mode").
/// Protected mode: the descriptor is read from the GDT (base, limit with granularity, D/B bit,
/// access byte) with the privilege and type checks of Intel SDM vol. 3, 5.5–5.8: data segments need
/// DPL ≥ max(CPL, RPL) unless conforming code, SS needs a writable data segment with RPL = DPL = CPL
/// (#SS when not present), other registers #NP when not present; far JMP/CALL targets need
/// DPL = CPL (non-conforming) or DPL ≤ CPL (conforming) and keep CPL as CS.RPL. Selectors with TI
/// set read the LDT that LLDT loaded. Call gates, task gates and TSS descriptors as far-transfer
/// targets are <see cref="CallGateUnit"/>'s. Not emulated: setting the descriptor's accessed bit.
/// </summary>
internal sealed class SegmentUnit(ExecutionCore core)
{
    private const int DescriptorSize = 8;
    private const int RealModeShift = 4;
    private const uint GranularityBit = 1 << 23;
    private const uint DefaultBigBit = 1 << 22;
    private const uint PageGranularShift = 12;
    private const uint PageGranularFill = 0xFFF;

    // Descriptor fields (Intel SDM vol. 3, 3.4.5).
    private const uint LimitLowMask = 0xFFFF;
    private const uint LimitHighMask = 0x000F_0000;
    private const uint BaseMiddleMask = 0xFF;
    private const uint BaseHighMask = 0xFF00_0000;

    /// <summary>DS, ES, FS and GS: the registers a privilege change or task switch checks as data segments.</summary>
    internal static readonly int[] DataSegments = [ExecutionCore.Es, ExecutionCore.Ds, (int)SegmentRegister.FS, (int)SegmentRegister.GS];

    /// <summary>Loads a data or stack segment register (MOV, POP, LDS/LES/LSS/LFS/LGS); the register changes only on success.</summary>
    public bool TryLoad(int segment, ushort selector)
    {
        ref var s = ref core.Seg[segment];
        if (!core.R.ProtectedMode)
        {
            s.Selector = selector;
            s.Base = (uint)selector << RealModeShift;
            return true;
        }

        if (segment == ExecutionCore.Ss)
        {
            if (!TryReadStack(selector, core.Cpl, out var stack))
            {
                return false;
            }

            s = stack;
            return true;
        }

        if (SegmentSelector.IsNull(selector))
        {
            s = new SegmentCache { Selector = selector };
            return true;
        }

        if (!TryReadDescriptor(selector, out var loaded))
        {
            return false;
        }

        var access = loaded.Access;
        var error = selector & SegmentSelector.ErrorMask;
        var readable = (access & DescriptorAccess.CodeOrData) != 0
            && ((access & DescriptorAccess.Code) == 0 || (access & DescriptorAccess.ReadWrite) != 0);
        if (!readable)
        {
            return core.RaiseGeneralProtection(error);
        }

        var dpl = DescriptorAccess.Dpl(access);
        if (!DescriptorAccess.IsConformingCode(access) && (Rpl(selector) > dpl || core.Cpl > dpl))
        {
            return core.RaiseGeneralProtection(error);
        }

        if ((access & DescriptorAccess.Present) == 0)
        {
            return core.Raise(ExceptionVector.SegmentNotPresent, error);
        }

        s = loaded;
        return true;
    }

    /// <summary>
    /// The SS cache <paramref name="selector"/> would load at privilege <paramref name="cpl"/>: a writable
    /// data segment with RPL = DPL = <paramref name="cpl"/> (#GP otherwise, #SS when not present).
    /// </summary>
    public bool TryReadStack(ushort selector, int cpl, out SegmentCache loaded)
    {
        loaded = default;
        if (SegmentSelector.IsNull(selector))
        {
            return core.RaiseGeneralProtection(0);
        }

        if (!TryReadDescriptor(selector, out loaded))
        {
            return false;
        }

        var error = selector & SegmentSelector.ErrorMask;
        if (Rpl(selector) != cpl || DescriptorAccess.Dpl(loaded.Access) != cpl || !DescriptorAccess.IsWritableData(loaded.Access))
        {
            return core.RaiseGeneralProtection(error);
        }

        return (loaded.Access & DescriptorAccess.Present) != 0 || core.Raise(ExceptionVector.StackFault, error);
    }

    /// <summary>Loads CS for a far JMP, in either mode; CS changes only on success.</summary>
    public bool TryLoadFarTarget(ushort selector)
    {
        if (!TryReadFarTarget(selector, out var loaded))
        {
            return false;
        }

        CommitCode(loaded);
        return true;
    }

    /// <summary>
    /// The CS a far JMP or CALL to <paramref name="selector"/> would load, checked but not committed:
    /// same privilege only (non-conforming DPL = CPL with RPL ≤ CPL, conforming DPL ≤ CPL), RPL
    /// replaced by CPL.
    /// </summary>
    public bool TryReadFarTarget(ushort selector, out SegmentCache loaded)
    {
        if (!TryReadCode(selector, out loaded))
        {
            return false;
        }

        if (!core.R.ProtectedMode)
        {
            return true;
        }

        var cpl = core.Cpl;
        var dpl = DescriptorAccess.Dpl(loaded.Access);
        var allowed = DescriptorAccess.IsConformingCode(loaded.Access) ? dpl <= cpl : dpl == cpl && Rpl(selector) <= cpl;
        if (!allowed)
        {
            return core.RaiseGeneralProtection(selector & SegmentSelector.ErrorMask);
        }

        loaded.Selector = (ushort)((selector & ~ExecutionCore.SelectorRplMask) | cpl);
        return true;
    }

    /// <summary>
    /// The CS cache <paramref name="selector"/> would load, checked for being a present code segment
    /// (#GP, #NP) but not for privilege, which depends on the transfer, and not committed, so a far
    /// transfer or an interrupt can do its pushes first and load CS last (precise state).
    /// </summary>
    public bool TryReadCode(ushort selector, out SegmentCache loaded)
    {
        if (!core.R.ProtectedMode)
        {
            loaded = core.Seg[ExecutionCore.Cs];
            loaded.Selector = selector;
            loaded.Base = (uint)selector << RealModeShift;
            return true;
        }

        if (SegmentSelector.IsNull(selector))
        {
            loaded = default;
            return core.RaiseGeneralProtection(0);
        }

        if (!TryReadDescriptor(selector, out loaded))
        {
            return false;
        }

        var error = selector & SegmentSelector.ErrorMask;
        if (!DescriptorAccess.IsCode(loaded.Access))
        {
            return core.RaiseGeneralProtection(error);
        }

        return (loaded.Access & DescriptorAccess.Present) != 0 || core.Raise(ExceptionVector.SegmentNotPresent, error);
    }

    /// <summary>
    /// The CS a far RET or IRET to <paramref name="selector"/> would load: its RPL is the new CPL, which
    /// may not be below the current one; non-conforming code needs DPL = RPL, conforming DPL ≤ RPL.
    /// </summary>
    public bool TryReadReturnTarget(ushort selector, out SegmentCache loaded)
    {
        if (!TryReadCode(selector, out loaded))
        {
            return false;
        }

        if (!core.R.ProtectedMode)
        {
            return true;
        }

        var rpl = Rpl(selector);
        var dpl = DescriptorAccess.Dpl(loaded.Access);
        var allowed = rpl >= core.Cpl && (DescriptorAccess.IsConformingCode(loaded.Access) ? dpl <= rpl : dpl == rpl);
        return allowed || core.RaiseGeneralProtection(selector & SegmentSelector.ErrorMask);
    }

    /// <summary>Makes a cache from <see cref="TryReadCode"/> the current CS; the memory unit picks up the new privilege.</summary>
    public void CommitCode(in SegmentCache loaded)
    {
        core.Seg[ExecutionCore.Cs] = loaded;
        core.SetCpl(core.R.ProtectedMode ? Rpl(loaded.Selector) : 0);
        core.Mmu.SyncMode();
    }

    /// <summary>
    /// After a return to an outer privilege: DS, ES, FS and GS holding a segment the new CPL may not use
    /// (data or non-conforming code with DPL below it) become null (Intel SDM vol. 3, 5.8.6).
    /// </summary>
    public void NullInaccessibleDataSegments()
    {
        var cpl = core.Cpl;
        foreach (var segment in DataSegments)
        {
            ref var s = ref core.Seg[segment];
            if (!SegmentSelector.IsNull(s.Selector) && !DescriptorAccess.IsConformingCode(s.Access) && DescriptorAccess.Dpl(s.Access) < cpl)
            {
                s = new SegmentCache { Selector = 0 };
            }
        }
    }

    /// <summary>
    /// Reads the descriptor of <paramref name="selector"/> (any type, present or not) from the GDT, or
    /// from the LDT when TI is set; #GP(selector) past the table's limit or with no LDT loaded.
    /// </summary>
    public bool TryReadDescriptor(ushort selector, out SegmentCache loaded)
    {
        loaded = default;
        if (!TryReadRawDescriptor(selector, out var found, out var low, out var high))
        {
            return false;
        }

        if (!found)
        {
            return core.RaiseGeneralProtection(selector & SegmentSelector.ErrorMask);
        }

        var limit = ExpandedLimit(low, high);
        loaded = new SegmentCache
        {
            Selector = selector,
            Base = (low >> 16) | ((high & BaseMiddleMask) << 16) | (high & BaseHighMask),
            Limit = limit,
            Big = (high & DefaultBigBit) != 0,
            Access = DescriptorAccess.FromHighDword(high),
        };
        return true;
    }

    /// <summary>
    /// Reads the two doublewords of <paramref name="selector"/>'s descriptor. <paramref name="found"/> is
    /// false (and nothing raised) when the selector lies past its table's limit or names an LDT that is
    /// not loaded; false is returned only when reading the table itself faults (a page fault).
    /// </summary>
    public bool TryReadRawDescriptor(ushort selector, out bool found, out uint low, out uint high)
    {
        low = high = 0;
        var index = (uint)(selector & SegmentSelector.IndexMask);
        var local = (selector & SegmentSelector.TableIndicator) != 0;
        var ldt = core.R.LdtRegister;
        var tableBase = local ? ldt.Base : core.R.GdtrBase;
        var tableLimit = local ? ldt.Limit : core.R.GdtrLimit;
        found = !((local && (ldt.Selector & SegmentSelector.IndexMask) == 0) || index + DescriptorSize - 1 > tableLimit);
        if (!found)
        {
            return true;
        }

        var address = tableBase + index;
        return core.Mmu.TryReadSystem(address, 4, out low) && core.Mmu.TryReadSystem(address + 4, 4, out high);
    }

    /// <summary>A descriptor's limit in bytes, scaled by 4 KiB when G is set.</summary>
    public static uint ExpandedLimit(uint low, uint high)
    {
        var limit = (low & LimitLowMask) | (high & LimitHighMask);
        return (high & GranularityBit) != 0 ? (limit << (int)PageGranularShift) | PageGranularFill : limit;
    }

    private static int Rpl(ushort selector) => selector & ExecutionCore.SelectorRplMask;
}
