namespace Emulator.Machine.Bus;

/// <summary>
/// A device on the I/O port bus. The bus only calls <see cref="Read"/> and <see cref="Write"/>
/// with a width the device declared for that range; every other access is split into byte
/// accesses by <see cref="IoPortBus"/>, once, so devices never reassemble partial accesses.
/// Called on the machine thread only.
/// </summary>
public interface IPortDevice
{
    /// <summary>Reads <paramref name="width"/> bytes at <paramref name="port"/>, little-endian in the low bits.</summary>
    uint Read(ushort port, PortWidth width);

    /// <summary>Writes the low <paramref name="width"/> bytes of <paramref name="value"/> to <paramref name="port"/>.</summary>
    void Write(ushort port, PortWidth width, uint value);
}
