using Emulator.Machine.Bus;

namespace Emulator.Machine.Platform;

/// <summary>
/// QEMU's "isa-debug-exit" device, by default at port 0x501 with a one-port window: a write of
/// value v (byte, word or dword, as QEMU accepts up to four bytes) asks the machine to exit with
/// status (v &lt;&lt; 1) | 1, so a guest can never report plain success (0). Reads float (all ones).
/// </summary>
public sealed class DebugExitPort : IPortDevice
{
    /// <summary>QEMU's default port for isa-debug-exit.</summary>
    public const ushort DefaultPort = 0x501;

    private readonly Action<int> _exitRequested;
    private readonly ushort _port;

    /// <param name="exitRequested">Receives the exit status (v &lt;&lt; 1) | 1.</param>
    /// <param name="port">I/O base ("iobase" in QEMU).</param>
    public DebugExitPort(Action<int> exitRequested, ushort port = DefaultPort)
    {
        ArgumentNullException.ThrowIfNull(exitRequested);
        _exitRequested = exitRequested;
        _port = port;
    }

    /// <inheritdoc/>
    public void RegisterPorts(IoPortBus bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.Register(this, _port, 1, PortWidths.All);
    }

    /// <inheritdoc/>
    public uint Read(ushort port, PortWidth width) => uint.MaxValue;

    /// <inheritdoc/>
    public void Write(ushort port, PortWidth width, uint value) => _exitRequested(unchecked((int)((value << 1) | 1)));
}
