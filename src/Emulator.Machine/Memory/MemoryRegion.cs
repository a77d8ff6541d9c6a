namespace Emulator.Machine.Memory;

/// <summary>One registered ROM image or MMIO range: <c>[Start, Start + Length)</c>, physical.</summary>
internal sealed class MemoryRegion(uint start, uint length, byte[]? rom, IMmioDevice? device)
{
    public uint Start { get; } = start;

    public uint Length { get; } = length;

    /// <summary>The ROM image, or null for an MMIO range.</summary>
    public byte[]? Rom { get; } = rom;

    /// <summary>The device, or null for a ROM.</summary>
    public IMmioDevice? Device { get; } = device;

    public bool Contains(uint address) => address - Start < Length;

    /// <summary>True when <paramref name="count"/> bytes from <paramref name="address"/> all lie inside.</summary>
    public bool ContainsRange(uint address, uint count) => address - Start < Length && Length - (address - Start) >= count;
}
