using Emulator.Machine.Bus;
using Emulator.Machine.Lifecycle;
using Emulator.Machine.Timers;

namespace Emulator.Machine.Platform;

/// <summary>
/// PC/AT system control port B at port 0x61 (PIIX3 datasheet, "NMI Status and Control Register"):
/// bit 0 drives the gate of PIT counter 2, bit 1 enables the speaker, bits 2-3 are stored;
/// reads return those bits plus the DRAM refresh toggle (bit 4) and PIT counter 2's OUT (bit 5).
/// The refresh bit flips on every read, as QEMU's does, so BIOS delay loops that wait for it to
/// change always make progress whether or not virtual time moved.
/// Limitations: no speaker sound, NMI sources (bits 6-7) always read 0.
/// </summary>
internal sealed class SystemControlPortB : IPortDevice, IResettable
{
    public const ushort Port = 0x61;

    private const int SpeakerChannel = 2;

    private readonly Pit8254 _pit;
    private PortBBits _latched;
    private bool _refresh;

    public SystemControlPortB(Pit8254 pit)
    {
        ArgumentNullException.ThrowIfNull(pit);
        _pit = pit;
    }

    public bool SpeakerEnabled => (_latched & PortBBits.SpeakerData) != 0;

    /// <summary>Speaker off and counter 2's gate low, as at power-on.</summary>
    public void Reset()
    {
        _latched = 0;
        _pit.SetGate(SpeakerChannel, false);
    }

    public void RegisterPorts(IoPortBus bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.Register(this, Port, 1);
    }

    public uint Read(ushort port, PortWidth width)
    {
        _refresh = !_refresh;
        var value = _latched;
        if (_refresh)
        {
            value |= PortBBits.RefreshToggle;
        }

        if (_pit[SpeakerChannel].Output)
        {
            value |= PortBBits.Timer2Output;
        }

        return (uint)value;
    }

    public void Write(ushort port, PortWidth width, uint value)
    {
        _latched = (PortBBits)value & PortBBits.Writable;
        _pit.SetGate(SpeakerChannel, (_latched & PortBBits.Timer2Gate) != 0);
    }
}
