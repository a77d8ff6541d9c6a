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

    /// <summary>Loads a data or stack segment register (MOV, POP, LDS/LES/LSS/LFS/LGS).</summary>
    public void Load(int segment, ushort selector)
    {
        ref var s = ref core.Seg[segment];
        if (!core.R.ProtectedMode)
        {
            s.Selector = selector;
            s.Base = (uint)selector << RealModeShift;
            return;
        }

        if ((selector & SelectorIndexMask) == 0)
        {
            if (segment == ExecutionCore.Ss)
            {
                throw ExceptionVector.GeneralProtectionFault();
            }

            s = new SegmentCache { Selector = selector };
            return;
        }

        s = ReadDescriptor(selector);
    }

    /// <summary>Loads CS for a far JMP/CALL/RET/IRET or an interrupt, in either mode.</summary>
    public void LoadCode(ushort selector)
    {
        ref var s = ref core.Seg[ExecutionCore.Cs];
        if (!core.R.ProtectedMode)
        {
            s.Selector = selector;
            s.Base = (uint)selector << RealModeShift;
            return;
        }

        if ((selector & SelectorIndexMask) == 0)
        {
            throw ExceptionVector.GeneralProtectionFault();
        }

        s = ReadDescriptor(selector);
    }

    private SegmentCache ReadDescriptor(ushort selector)
    {
        var index = (uint)(selector & SelectorIndexMask);
        if ((selector & TableIndicator) != 0 || index + DescriptorSize - 1 > core.R.GdtrLimit)
        {
            throw ExceptionVector.GeneralProtectionFault(selector & SelectorIndexMask);
        }

        var address = core.R.GdtrBase + index;
        var low = core.Memory.ReadDword(address);
        var high = core.Memory.ReadDword(address + 4);
        var access = (byte)(high >> AccessShift);
        if ((access & Present) == 0)
        {
            throw ExceptionVector.GeneralProtectionFault(selector & SelectorIndexMask);
        }

        var limit = (low & LimitLowMask) | (high & LimitHighMask);
        if ((high & GranularityBit) != 0)
        {
            limit = (limit << (int)PageGranularShift) | PageGranularFill;
        }

        return new SegmentCache
        {
            Selector = selector,
            Base = (low >> 16) | ((high & BaseMiddleMask) << 16) | (high & BaseHighMask),
            Limit = limit,
            Big = (high & DefaultBigBit) != 0,
            Access = access,
        };
    }
}
