namespace Emulator.Machine.Memory;

/// <summary>
/// The ROM images and MMIO ranges of a <see cref="GuestMemory"/>. Few regions exist and they are
/// only consulted on slow paths (pages the fast-path table does not cover), so a list is enough.
/// </summary>
internal sealed class RegionMap
{
    private const ulong AddressSpaceSize = 1UL << 32;

    private readonly List<MemoryRegion> _regions = [];

    /// <summary>Adds a region after checking it fits the 4 GiB space and overlaps nothing.</summary>
    public void Add(MemoryRegion region)
    {
        if (region.Length == 0 || region.Start + (ulong)region.Length > AddressSpaceSize)
        {
            throw new ArgumentOutOfRangeException(nameof(region), $"Region 0x{region.Start:X8}+0x{region.Length:X} is outside the 4 GiB address space.");
        }

        foreach (var other in _regions)
        {
            if (region.Start < other.Start + (ulong)other.Length && other.Start < region.Start + (ulong)region.Length)
            {
                throw new InvalidOperationException($"Region 0x{region.Start:X8}+0x{region.Length:X} overlaps one at 0x{other.Start:X8}.");
            }
        }

        _regions.Add(region);
    }

    /// <summary>Adds a region unless it leaves the 4 GiB space or overlaps another; false when refused.</summary>
    public bool TryAdd(MemoryRegion region)
    {
        if (region.Length == 0 || region.Start + (ulong)region.Length > AddressSpaceSize || Overlaps(region.Start, region.Length))
        {
            return false;
        }

        _regions.Add(region);
        return true;
    }

    /// <summary>Removes the MMIO region of <paramref name="device"/> that starts at <paramref name="start"/>; false if there is none.</summary>
    public bool Remove(uint start, object device) =>
        _regions.RemoveAll(r => r.Start == start && ReferenceEquals(r.Device, device)) > 0;

    /// <summary>True when any region covers a byte of <c>[start, start + length)</c>.</summary>
    public bool Overlaps(uint start, ulong length)
    {
        foreach (var other in _regions)
        {
            if (start < other.Start + (ulong)other.Length && other.Start < start + length)
            {
                return true;
            }
        }

        return false;
    }

    public MemoryRegion? Find(uint address)
    {
        foreach (var region in _regions)
        {
            if (region.Contains(address))
            {
                return region;
            }
        }

        return null;
    }
}
