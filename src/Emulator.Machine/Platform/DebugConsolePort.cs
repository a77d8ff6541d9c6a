using Emulator.Machine.Bus;

namespace Emulator.Machine.Platform;

/// <summary>
/// QEMU/Bochs debug console ("isa-debugcon") at port 0xE9: every byte written goes to the host
/// sink; a read returns 0xE9 so a guest can detect the port, as QEMU's readback value does.
/// </summary>
internal sealed class DebugConsolePort : IPortDevice
{
    public const ushort Port = 0xE9;

    /// <summary>QEMU's default "readback" property: the port number itself.</summary>
    public const byte ReadbackValue = 0xE9;

    private readonly Action<byte> _sink;

    public DebugConsolePort(Action<byte> sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        _sink = sink;
    }

    public void RegisterPorts(IoPortBus bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.Register(this, Port, 1);
    }

    public uint Read(ushort port, PortWidth width) => ReadbackValue;

    public void Write(ushort port, PortWidth width, uint value) => _sink((byte)value);
}
