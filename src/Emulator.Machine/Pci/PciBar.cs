namespace Emulator.Machine.Pci;

/// <summary>A base address register a function declared: its kind, size and where it decodes now (null when off).</summary>
public sealed class PciBar
{
    internal PciBar(int index, PciBarKind kind, uint size, bool prefetchable)
    {
        Index = index;
        Kind = kind;
        Size = size;
        Prefetchable = prefetchable;
    }

    public int Index { get; }

    public PciBarKind Kind { get; }

    public uint Size { get; }

    public bool Prefetchable { get; }

    /// <summary>The decoded base address, or null while the BAR is unprogrammed or its space is disabled in the command register.</summary>
    public ulong? Address { get; internal set; }
}
