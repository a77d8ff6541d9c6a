namespace Emulator.Machine.Bus;

/// <summary>
/// Optional fast path for string I/O (<c>rep insw</c>/<c>rep outsw</c>): the device moves a
/// whole block of same-width accesses to one port in one call, e.g. a full ATA sector.
/// A device may serve fewer elements than asked (for example up to the end of its current
/// data block); the bus then continues element by element through <see cref="IPortDevice"/>.
/// </summary>
public interface IPortBlockDevice : IPortDevice
{
    /// <summary>Reads up to <c>destination.Length / width</c> elements; returns how many were served.</summary>
    int ReadString(ushort port, PortWidth width, Span<byte> destination);

    /// <summary>Writes up to <c>source.Length / width</c> elements; returns how many were consumed.</summary>
    int WriteString(ushort port, PortWidth width, ReadOnlySpan<byte> source);
}
