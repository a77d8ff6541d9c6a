using Emulator.Machine.Lifecycle;

namespace Emulator.Machine.Interrupts;

/// <summary>
/// Intel 82093AA I/O APIC with 24 pins, memory-mapped at <see cref="DefaultBaseAddress"/>:
/// IOREGSEL at offset 0x00 and IOWIN at offset 0x10 (datasheet section 3.1), registers ID,
/// version, arbitration and the 24 redirection entries. It has 24 inputs numbered like QEMU's
/// ioapic GPIO inputs: input n drives redirection entry n, except input 0 (ISA IRQ 0, the PIT) which
/// drives entry 2 — the interrupt source override a PC's MADT describes, applied inside the I/O
/// APIC as QEMU does. Input levels are observable by input number (<see cref="GetInputLevel"/>,
/// <see cref="InputChanged"/>), which is what qtest's <c>irq_intercept_in ioapic</c> reports
/// (IRQ 0 as 0); with <see cref="Intercepted"/> set, inputs are only reported, not delivered, as
/// under qtest interception. Unmasked entries emit <see cref="Delivered"/> messages: an edge
/// entry on each rising input, a level entry while asserted and Remote IRR is clear; the local
/// APIC's EOI comes back through <see cref="EndOfInterrupt"/>.
/// Limitations: there is no local APIC in the machine yet, so nothing consumes <see cref="Delivered"/>;
/// the polarity bit is stored but inputs are treated as active high; there is no MMIO bus here,
/// so the machine adapts <see cref="ReadMmio"/>/<see cref="WriteMmio"/> to its MMIO interface.
/// </summary>
public sealed class IoApic : IIsaIrqSink, IResettable
{
    /// <summary>Physical address a PC maps the I/O APIC at (the MADT and MP table say so).</summary>
    public const ulong DefaultBaseAddress = 0xFEC0_0000;
    /// <summary>Bytes of the MMIO window at <see cref="DefaultBaseAddress"/>.</summary>
    public const int MmioSize = 0x1000;
    /// <summary>Inputs and redirection entries.</summary>
    public const int PinCount = 24;

    /// <summary>Datasheet 3.1: the index register (IOREGSEL) and the data window (IOWIN).</summary>
    public const ulong RegisterSelectOffset = 0x00;
    /// <summary>Offset of IOWIN, the data window for the register IOREGSEL selects.</summary>
    public const ulong WindowOffset = 0x10;

    /// <summary>Version register: version 0x20 (as QEMU reports) and maximum redirection entry 23 in bits 23-16.</summary>
    private const uint VersionValue = 0x20 | ((PinCount - 1) << 16);
    private const int IdShift = 24;
    private const uint IdMask = 0x0F00_0000;
    private const int DeliveryModeShift = 8;
    private const int DestinationShift = 56;
    private const int EntryHighShift = 32;
    private const ulong EntryWritable = ~(ulong)(IoApicRedirection.DeliveryPending | IoApicRedirection.RemoteIrr);
    private const int IsaTimerInput = 0;
    private const int IsaTimerEntry = 2;

    private readonly ulong[] _entries = new ulong[PinCount];
    private uint _inputLevels;
    private byte _select;
    private uint _id;

    /// <summary>A power-on I/O APIC: every entry masked, ID 0.</summary>
    public IoApic() => Reset();

    /// <summary>
    /// Power-on: every redirection entry masked (edge, fixed, vector 0), ID 0 and the register select
    /// cleared. The input levels follow the wires and stay.
    /// </summary>
    public void Reset()
    {
        for (var i = 0; i < PinCount; i++)
        {
            _entries[i] = (ulong)IoApicRedirection.Masked;
        }

        _select = 0;
        _id = 0;
    }

    /// <summary>Raised on every input level change (input number, level), before any delivery.</summary>
    public event Action<int, bool>? InputChanged;

    /// <summary>Raised when an unmasked entry sends an interrupt; the message's Pin is the redirection entry.</summary>
    public event Action<IoApicMessage>? Delivered;

    /// <summary>When set, input changes are only reported through <see cref="InputChanged"/> (qtest interception).</summary>
    public bool Intercepted { get; set; }

    /// <summary>The level of input <paramref name="input"/> (0-23, ISA IRQ numbering).</summary>
    public bool GetInputLevel(int input) => (_inputLevels & (1u << input)) != 0;

    /// <summary>The 64-bit redirection entry <paramref name="entry"/>.</summary>
    public ulong GetRedirection(int entry) => _entries[entry];

    /// <inheritdoc/>
    public void SetIrq(int irq, bool level) => SetInput(irq, level);

    /// <summary>Drives input <paramref name="input"/> (0-23; input 0 lands on redirection entry 2).</summary>
    public void SetInput(int input, bool level)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(input);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(input, PinCount);
        var bit = 1u << input;
        var was = (_inputLevels & bit) != 0;
        if (was == level)
        {
            return;
        }

        _inputLevels = level ? _inputLevels | bit : _inputLevels & ~bit;
        InputChanged?.Invoke(input, level);
        if (level && !Intercepted)
        {
            TryDeliver(EntryOf(input));
        }
    }

    /// <summary>The local APIC's EOI broadcast: clears Remote IRR of level entries with <paramref name="vector"/>.</summary>
    public void EndOfInterrupt(byte vector)
    {
        for (var pin = 0; pin < PinCount; pin++)
        {
            var entry = (IoApicRedirection)_entries[pin];
            if ((byte)(entry & IoApicRedirection.VectorMask) == vector && (entry & IoApicRedirection.RemoteIrr) != 0)
            {
                _entries[pin] &= ~(ulong)IoApicRedirection.RemoteIrr;
                if (EntryAsserted(pin))
                {
                    TryDeliver(pin);
                }
            }
        }
    }

    /// <summary>A 32-bit read at <paramref name="offset"/> from the base address.</summary>
    public uint ReadMmio(ulong offset) => offset switch
    {
        RegisterSelectOffset => _select,
        WindowOffset => ReadRegister(_select),
        _ => 0,
    };

    /// <summary>A 32-bit write at <paramref name="offset"/> from the base address.</summary>
    public void WriteMmio(ulong offset, uint value)
    {
        switch (offset)
        {
            case RegisterSelectOffset:
                _select = (byte)value;
                break;
            case WindowOffset:
                WriteRegister(_select, value);
                break;
            default:
                break;
        }
    }

    /// <summary>
    /// Reads indirect register <paramref name="index"/> (0x00 ID, 0x01 version, 0x02 arbitration, 0x10-0x3F
    /// redirection entry halves, low half on even indexes); other indexes read zero.
    /// </summary>
    public uint ReadRegister(byte index)
    {
        switch ((IoApicRegister)index)
        {
            case IoApicRegister.Id:
                return _id;
            case IoApicRegister.Version:
                return VersionValue;
            case IoApicRegister.Arbitration:
                return _id;
            default:
                if (!TryEntry(index, out var pin, out var high))
                {
                    return 0;
                }

                return (uint)(high ? _entries[pin] >> EntryHighShift : _entries[pin]);
        }
    }

    /// <summary>
    /// Writes indirect register <paramref name="index"/>: the ID bits, or a redirection entry half (delivery status
    /// and Remote IRR are read-only); writing the version, arbitration or an unknown index has no effect.
    /// </summary>
    public void WriteRegister(byte index, uint value)
    {
        if ((IoApicRegister)index == IoApicRegister.Id)
        {
            _id = value & IdMask;
            return;
        }

        if (!TryEntry(index, out var pin, out var high))
        {
            return;
        }

        var current = _entries[pin];
        var updated = high
            ? (current & uint.MaxValue) | ((ulong)value << EntryHighShift)
            : (current & ~(ulong)uint.MaxValue) | value;
        _entries[pin] = (updated & EntryWritable) | (current & ~EntryWritable);

        // Unmasking an entry whose input is already asserted delivers it straight away.
        if (EntryAsserted(pin))
        {
            TryDeliver(pin);
        }
    }

    /// <summary>The APIC ID field (bits 27-24 of the ID register).</summary>
    public int Id => (int)(_id >> IdShift);

    private static int EntryOf(int input) => input == IsaTimerInput ? IsaTimerEntry : input;

    /// <summary>Whether any input feeding redirection entry <paramref name="entry"/> is high.</summary>
    private bool EntryAsserted(int entry)
    {
        if (Intercepted)
        {
            return false;
        }

        var asserted = GetInputLevel(entry) && entry != IsaTimerInput;
        return asserted || (entry == IsaTimerEntry && GetInputLevel(IsaTimerInput));
    }

    private static bool TryEntry(byte index, out int pin, out bool high)
    {
        var relative = index - (int)IoApicRegister.RedirectionTableBase;
        pin = relative / 2;
        high = (relative & 1) != 0;
        return relative >= 0 && pin < PinCount;
    }

    private void TryDeliver(int pin)
    {
        var entry = (IoApicRedirection)_entries[pin];
        if ((entry & IoApicRedirection.Masked) != 0)
        {
            return;
        }

        var level = (entry & IoApicRedirection.LevelTriggered) != 0;
        if (level)
        {
            if ((entry & IoApicRedirection.RemoteIrr) != 0)
            {
                return;
            }

            _entries[pin] |= (ulong)IoApicRedirection.RemoteIrr;
        }

        Delivered?.Invoke(new IoApicMessage(
            pin,
            (byte)(entry & IoApicRedirection.VectorMask),
            (int)((ulong)(entry & IoApicRedirection.DeliveryModeMask) >> DeliveryModeShift),
            (entry & IoApicRedirection.LogicalDestination) != 0,
            (byte)((ulong)entry >> DestinationShift),
            level));
    }
}
