using Emulator.Machine.Bus;

namespace Emulator.Machine.Platform;

/// <summary>
/// Port 0x80, the POST diagnostic port: firmware writes progress codes there and OSes write to it
/// as an I/O delay. Like QEMU's ioport80 the write has no effect on the machine and reads float
/// high; the last code is kept, and an optional sink sees every code (useful when firmware hangs).
/// </summary>
internal sealed class PostCodePort : IPortDevice
{
    public const ushort Port = 0x80;

    private readonly Action<byte>? _sink;

    public PostCodePort(Action<byte>? sink = null) => _sink = sink;

    public byte LastCode { get; private set; }

    public void RegisterPorts(IoPortBus bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.Register(this, Port, 1);
    }

    public uint Read(ushort port, PortWidth width) => uint.MaxValue;

    public void Write(ushort port, PortWidth width, uint value)
    {
        LastCode = (byte)value;
        _sink?.Invoke(LastCode);
    }
}
