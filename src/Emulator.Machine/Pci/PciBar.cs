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

    /// <summary>The BAR number, 0-5 (config offset 0x10 + 4 × index).</summary>
    public int Index { get; }

    /// <summary>Whether the BAR decodes I/O ports or memory.</summary>
    public PciBarKind Kind { get; }

    /// <summary>Bytes the BAR decodes: a power of two.</summary>
    public uint Size { get; }

    /// <summary>The prefetchable bit of a memory BAR (read-only in the BAR's low bits).</summary>
    public bool Prefetchable { get; }

    /// <summary>The decoded base address, or null while the BAR is unprogrammed or its space is disabled in the command register.</summary>
    public ulong? Address { get; internal set; }
}
