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
}
