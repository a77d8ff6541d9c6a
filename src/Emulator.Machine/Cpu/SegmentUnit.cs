namespace Emulator.Machine.Cpu;

/// <summary>
/// Segment register loads. Real mode: base = selector × 16 and the hidden limit and attributes stay
/// as they were (so limits loaded in protected mode survive the switch back: "unreal mode").
/// Protected mode: the descriptor is read from the GDT (base, limit with granularity, D/B bit,
/// access byte). Not emulated: the LDT, privilege checks, conforming segments, call gates and
/// task gates; a selector that points past the GDT or at a not-present descriptor raises #GP.
/// </summary>
internal sealed class SegmentUnit(ExecutionCore core)
{
    private const int DescriptorSize = 8;
    private const ushort TableIndicator = 1 << 2;
    private const ushort SelectorIndexMask = 0xFFF8;
    private const int RealModeShift = 4;
    private const uint Present = 0x80;
    private const uint GranularityBit = 1 << 23;
    private const uint DefaultBigBit = 1 << 22;
    private const uint PageGranularShift = 12;
    private const uint PageGranularFill = 0xFFF;
    private const int AccessShift = 8;

    // Descriptor fields (Intel SDM vol. 3, 3.4.5).
    private const uint LimitLowMask = 0xFFFF;
    private const uint LimitHighMask = 0x000F_0000;
    private const uint BaseMiddleMask = 0xFF;
    private const uint BaseHighMask = 0xFF00_0000;

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

        if ((selector & SelectorIndexMask) == 0)
        {
            if (segment == ExecutionCore.Ss)
            {
                return core.RaiseGeneralProtection(0);
            }

            s = new SegmentCache { Selector = selector };
            return true;
        }

        if (!TryReadDescriptor(selector, out var loaded))
        {
            return false;
        }

        s = loaded;
        return true;
    }

    /// <summary>Loads CS for a far JMP/CALL/RET/IRET, in either mode; CS changes only on success.</summary>
    public bool TryLoadCode(ushort selector)
    {
        if (!TryReadCode(selector, out var loaded))
        {
            return false;
        }

        CommitCode(loaded);
        return true;
    }

    /// <summary>
    /// The CS cache <paramref name="selector"/> would load, checked but not committed, so a far
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

        if ((selector & SelectorIndexMask) == 0)
        {
            loaded = default;
            return core.RaiseGeneralProtection(0);
        }

        return TryReadDescriptor(selector, out loaded);
    }

    /// <summary>Makes a cache from <see cref="TryReadCode"/> the current CS; the memory unit picks up the new privilege.</summary>
    public void CommitCode(in SegmentCache loaded)
    {
        core.Seg[ExecutionCore.Cs] = loaded;
        core.Mmu.SyncMode();
    }

    private bool TryReadDescriptor(ushort selector, out SegmentCache loaded)
    {
        loaded = default;
        var index = (uint)(selector & SelectorIndexMask);
        if ((selector & TableIndicator) != 0 || index + DescriptorSize - 1 > core.R.GdtrLimit)
        {
            return core.RaiseGeneralProtection(selector & SelectorIndexMask);
        }

        var address = core.R.GdtrBase + index;
        if (!core.Mmu.TryReadSystem(address, 4, out var low) || !core.Mmu.TryReadSystem(address + 4, 4, out var high))
        {
            return false;
        }

        var access = (byte)(high >> AccessShift);
        if ((access & Present) == 0)
        {
            return core.RaiseGeneralProtection(selector & SelectorIndexMask);
        }

        var limit = (low & LimitLowMask) | (high & LimitHighMask);
        if ((high & GranularityBit) != 0)
        {
            limit = (limit << (int)PageGranularShift) | PageGranularFill;
        }

        loaded = new SegmentCache
        {
            Selector = selector,
            Base = (low >> 16) | ((high & BaseMiddleMask) << 16) | (high & BaseHighMask),
            Limit = limit,
            Big = (high & DefaultBigBit) != 0,
            Access = access,
        };
        return true;
    }
}
