namespace Emulator.Machine.Memory;

/// <summary>
/// Guest physical memory as a bus-master or ISA DMA engine sees it. Accesses outside RAM are
/// refused (the call returns false and nothing is transferred) rather than throwing, so a
/// hostile guest-programmed address can never raise a host exception inside a device model.
/// </summary>
public interface IDmaMemory
{
    /// <summary>Copies guest memory at <paramref name="address"/> into <paramref name="destination"/>.</summary>
    bool TryRead(ulong address, Span<byte> destination);

    /// <summary>Copies <paramref name="source"/> into guest memory at <paramref name="address"/>.</summary>
    bool TryWrite(ulong address, ReadOnlySpan<byte> source);

    /// <summary>
    /// Direct access to <paramref name="length"/> bytes of RAM at <paramref name="address"/>, so a bus
    /// master can have block I/O fill or drain guest memory in place (QEMU's dma_memory_map). False
    /// (and nothing mapped) when the range is not all RAM or the memory offers no direct access; the
    /// caller then copies through <see cref="TryRead"/>/<see cref="TryWrite"/>. After writing through the
    /// mapping the caller must call <see cref="NotifyDirectWrite"/>.
    /// </summary>
    bool TryGetRam(ulong address, int length, out Memory<byte> ram)
    {
        ram = Memory<byte>.Empty;
        return false;
    }

    /// <summary>A bus master wrote RAM through <see cref="TryGetRam"/>: code decoded from that range is dropped.</summary>
    void NotifyDirectWrite(ulong address, int length)
    {
    }
}
