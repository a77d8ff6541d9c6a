using Emulator.Machine.Bus;
using Emulator.Machine.Lifecycle;
using Emulator.Machine.Memory;

namespace Emulator.Machine.Platform;

/// <summary>
/// PS/2 system control port A at port 0x92: bit 1 is the fast A20 gate (written through to
/// <see cref="IA20Gate"/>, read back from it so the 8042's A20 writes are visible too), bit 0 is
/// fast reset (a 0 → 1 transition calls the reset callback). Other bits are stored and read back,
/// as QEMU's port92 device does.
/// </summary>
internal sealed class SystemControlPortA : IPortDevice, IResettable
{
    public const ushort Port = 0x92;

    private readonly IA20Gate _a20;
    private readonly Action _resetRequested;
    private PortABits _latched;

    public SystemControlPortA(IA20Gate a20, Action resetRequested)
    {
        ArgumentNullException.ThrowIfNull(a20);
        ArgumentNullException.ThrowIfNull(resetRequested);
        _a20 = a20;
        _resetRequested = resetRequested;
    }

    /// <summary>
    /// Reset drops the fast-reset bit so the next 0 → 1 write resets again; the other bits stay, as
    /// QEMU's port92 does (the A20 gate itself is the machine's, re-enabled by the CPU reset).
    /// </summary>
    public void Reset() => _latched &= ~PortABits.FastReset;

    public void RegisterPorts(IoPortBus bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.Register(this, Port, 1);
    }

    public uint Read(ushort port, PortWidth width)
    {
        var value = _latched & ~PortABits.A20;
        return (uint)(_a20.A20Enabled ? value | PortABits.A20 : value);
    }

    public void Write(ushort port, PortWidth width, uint value)
    {
        var old = _latched;
        _latched = (PortABits)(byte)value;
        _a20.A20Enabled = (_latched & PortABits.A20) != 0;
        if ((_latched & PortABits.FastReset) != 0 && (old & PortABits.FastReset) == 0)
        {
            _resetRequested();
        }
    }
}
