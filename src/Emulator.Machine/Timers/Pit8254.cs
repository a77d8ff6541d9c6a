using Emulator.Machine.Bus;
using Emulator.Machine.Interrupts;
using Emulator.Machine.Lifecycle;

namespace Emulator.Machine.Timers;

/// <summary>
/// Intel 8254 programmable interval timer (datasheet 231164) at ports 0x40-0x42 (counters 0-2)
/// and 0x43 (control word), clocked at 1.193182 MHz on the <see cref="VirtualClock"/>. Emulates
/// modes 0-5, binary and BCD counting, LSB/MSB/LSB-then-MSB access, the counter latch command
/// and the read-back command (count and status). Counter 0's OUT drives IRQ 0 (a rising edge per
/// period in modes 2 and 3); counter 1 (DRAM refresh on the AT) is free-running; counter 2's gate
/// and OUT are reached through port 0x61 (<see cref="Platform.SystemControlPortB"/>).
/// At reset every counter runs mode 3 with count 65536, as QEMU's PIT does, so IRQ 0 ticks at
/// 18.2 Hz before the BIOS programs it. Limitations: see <see cref="PitChannel"/>.
/// </summary>
public sealed class Pit8254 : IPortDevice, IResettable
{
    /// <summary>The counters' clock, in Hz (the PC's 14.31818 MHz crystal divided by 12).</summary>
    public const long InputFrequencyHz = 1_193_182;
    /// <summary>The port of counter 0; counters 1 and 2 follow.</summary>
    public const ushort Counter0Port = 0x40;
    /// <summary>The control word port.</summary>
    public const ushort ControlPort = 0x43;
    /// <summary>Ports the PIT claims, from <see cref="Counter0Port"/>.</summary>
    public const int PortCount = 4;
    /// <summary>Counters on the chip.</summary>
    public const int ChannelCount = 3;

    private const int SpeakerChannel = 2;
    private const int ReadBackCounterShift = 1;
    private const int SelectShift = 6;

    private readonly VirtualClock _clock;
    private readonly IrqOutput _irq0;
    private readonly VirtualTimer _irqTimer;
    private readonly PitChannel[] _channels = new PitChannel[ChannelCount];

    /// <summary>
    /// The PIT at its reset state, counting on <paramref name="clock"/>, counter 0's OUT driving <paramref
    /// name="irq0"/>.
    /// </summary>
    public Pit8254(VirtualClock clock, IIrqLine irq0)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(irq0);
        _clock = clock;
        _irq0 = new IrqOutput(irq0);
        _irqTimer = clock.CreateTimer(UpdateIrq, "pit-irq0");
        for (var i = 0; i < ChannelCount; i++)
        {
            // Counters 0 and 1 have their gates tied high on the PC board; counter 2's comes from port 0x61.
            var index = i;
            _channels[i] = new PitChannel(i, gate: i != SpeakerChannel, () => _clock.PreciseNow, () => OnChannelChanged(index));
        }

        UpdateIrq();
    }

    /// <summary>Counter <paramref name="channel"/> (0-2), to inspect its programmed state.</summary>
    public PitChannel this[int channel] => _channels[channel];

    /// <inheritdoc/>
    public void RegisterPorts(IoPortBus bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.Register(this, Counter0Port, PortCount);
    }

    /// <summary>Every counter back to mode 3 with count 65536 from now (counter 2's gate low), IRQ 0 recomputed.</summary>
    public void Reset()
    {
        for (var i = 0; i < ChannelCount; i++)
        {
            _channels[i].Reset(gate: i != SpeakerChannel);
        }

        UpdateIrq();
    }

    /// <summary>Counter 2's gate, driven by port 0x61 bit 0.</summary>
    public void SetGate(int channel, bool level) => _channels[channel].SetGate(level);

    /// <inheritdoc/>
    public uint Read(ushort port, PortWidth width)
    {
        var index = port - Counter0Port;

        // The control register is write-only; reads float (QEMU returns all ones too).
        return index < ChannelCount ? _channels[index].ReadCount() : byte.MaxValue;
    }

    /// <inheritdoc/>
    public void Write(ushort port, PortWidth width, uint value)
    {
        var index = port - Counter0Port;
        if (index < ChannelCount)
        {
            _channels[index].WriteCount((byte)value);
            return;
        }

        var control = (PitControlWord)(byte)value;
        if ((control & PitControlWord.SelectMask) == PitControlWord.ReadBack)
        {
            ReadBack(control);
            return;
        }

        _channels[(int)(control & PitControlWord.SelectMask) >> SelectShift].WriteControl(control);
    }

    private void ReadBack(PitControlWord command)
    {
        var selected = (int)(command & PitControlWord.ReadBackCountersMask) >> ReadBackCounterShift;
        for (var i = 0; i < ChannelCount; i++)
        {
            if ((selected & (1 << i)) == 0)
            {
                continue;
            }

            // Status goes first: when both are latched the first read returns the status byte.
            if ((command & PitControlWord.ReadBackNoStatus) == 0)
            {
                _channels[i].LatchStatus();
            }

            if ((command & PitControlWord.ReadBackNoCount) == 0)
            {
                _channels[i].LatchCount();
            }
        }
    }

    private void OnChannelChanged(int channel)
    {
        if (channel == 0)
        {
            UpdateIrq();
        }
    }

    private void UpdateIrq()
    {
        var channel = _channels[0];
        _irq0.Set(channel.Output);

        if (channel.NextOutputChange() is { } next)
        {
            _irqTimer.Arm(next);
        }
        else
        {
            _irqTimer.Cancel();
        }
    }
}
