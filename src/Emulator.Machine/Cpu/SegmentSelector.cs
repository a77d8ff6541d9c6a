namespace Emulator.Machine.Cpu;

/// <summary>
/// The fields of a segment selector (Intel SDM vol. 3, 3.4.2) beyond its RPL (<see cref="ExecutionCore.SelectorRplMask"/>),
/// for the units that look descriptors up and raise faults with a selector error code.
/// </summary>
internal static class SegmentSelector
{
    /// <summary>TI, bit 2: the selector names an LDT entry rather than a GDT one.</summary>
    public const ushort TableIndicator = 1 << 2;

    /// <summary>The index, bits 15-3, kept in place: the descriptor's byte offset in its table.</summary>
    public const ushort IndexMask = 0xFFF8;

    /// <summary>A selector error code keeps the index and TI (Intel SDM vol. 3, 6.13).</summary>
    public const ushort ErrorMask = 0xFFFC;

    /// <summary>A null selector is index 0 in the GDT, whatever its RPL; index 0 in the LDT is an ordinary selector.</summary>
    public static bool IsNull(ushort selector) => (selector & (IndexMask | TableIndicator)) == 0;
}
