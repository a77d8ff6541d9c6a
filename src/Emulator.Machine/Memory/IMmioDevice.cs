namespace Emulator.Machine.Memory;

/// <summary>
/// A device mapped into the physical address space (VGA frame buffer, PCI BARs). Called on the
/// machine thread only, with the physical address of the access. An access that straddles the end
/// of the device's range is split into byte accesses by <see cref="GuestMemory"/>.
/// </summary>
public interface IMmioDevice
{
    /// <summary>Reads <paramref name="width"/> bytes at <paramref name="address"/>, little-endian in the low bits.</summary>
    uint Read(uint address, AccessWidth width);

    /// <summary>Writes the low <paramref name="width"/> bytes of <paramref name="value"/> at <paramref name="address"/>.</summary>
    void Write(uint address, AccessWidth width, uint value);
}
