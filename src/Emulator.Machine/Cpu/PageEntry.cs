namespace Emulator.Machine.Cpu;

/// <summary>Bits of a 32-bit page-directory or page-table entry (Intel SDM vol. 3, 4.3, tables 4-4 to 4-6).</summary>
internal static class PageEntry
{
    public const uint Present = 1 << 0;
    public const uint Writable = 1 << 1;
    public const uint User = 1 << 2;
    public const uint Accessed = 1 << 5;
    public const uint Dirty = 1 << 6;

    /// <summary>PS in a PDE: a 4 MiB page (with CR4.PSE).</summary>
    public const uint LargePage = 1 << 7;

    /// <summary>G in a PTE or a 4 MiB PDE: kept across CR3 loads when CR4.PGE is set.</summary>
    public const uint Global = 1 << 8;

    /// <summary>The page-frame (or page-table) address of a 4 KiB-granular entry.</summary>
    public const uint FrameMask = 0xFFFF_F000;

    /// <summary>The frame of a 4 MiB page (bits 31:22; PSE-36 high bits are not emulated).</summary>
    public const uint LargeFrameMask = 0xFFC0_0000;

    public const int DirectoryShift = 22;
    public const int TableShift = 12;
    public const uint IndexMask = 0x3FF;
    public const int EntrySize = 4;
}
