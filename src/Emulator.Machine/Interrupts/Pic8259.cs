namespace Emulator.Machine.Interrupts;

/// <summary>
/// One Intel 8259A programmable interrupt controller (datasheet 231468). Holds IRR, ISR, IMR,
/// the rotating priority, the initialization sequence ICW1-ICW4 and the operation commands
/// OCW1-OCW3, plus the PIIX edge/level control register (ELCR) for its eight inputs.
/// Ports are decoded by <see cref="PicPair"/>; this class only sees "A0" (command or data).
/// Limitations: 8080/85 call mode and buffered mode are accepted and ignored; an edge request
/// that is withdrawn before INTA stays latched in IRR (QEMU does the same) instead of becoming
/// a spurious IRQ 7.
/// </summary>
public sealed class Pic8259
{
    private const int NoRequest = -1;
    private const int LevelCount = 8;
    private const int LowestLevel = 7;
    private const byte VectorBaseMask = 0xF8;
    private const byte LevelMask = 0x07;
    private const int Ocw2CommandShift = 5;
    private const byte PollRequestBit = 0x80;

    private readonly byte _elcrWritableMask;
    private readonly bool _isMaster;

    private byte _lineLevels;
    private int _lowestPriority = LowestLevel;
    private PicInitStep _initStep;
    private bool _icw4Needed;
    private bool _singleMode;
    private bool _readIsr;
    private bool _pollPending;

    internal Pic8259(bool isMaster, byte elcrWritableMask)
    {
        _isMaster = isMaster;
        _elcrWritableMask = elcrWritableMask;
    }

    /// <summary>Interrupt request register: inputs waiting to be served (bit n = input n).</summary>
    public byte Irr { get; private set; }

    /// <summary>In-service register: levels acknowledged and not yet ended by an EOI.</summary>
    public byte Isr { get; private set; }

    /// <summary>Interrupt mask register (OCW1): set bits block their input.</summary>
    public byte Imr { get; private set; }

    /// <summary>Edge/level control register: set bits make their input level-sensitive (PIIX ELCR).</summary>
    public byte Elcr { get; private set; }

    /// <summary>Vector of input 0 from ICW2 (low three bits zero); input n delivers <c>VectorBase + n</c>.</summary>
    public byte VectorBase { get; private set; }

    /// <summary>ICW4 AEOI: the acknowledge ends the interrupt itself, no EOI needed.</summary>
    public bool AutoEoi { get; private set; }

    /// <summary>Rotate in automatic EOI mode (OCW2 rotate-on-AEOI set/clear).</summary>
    public bool RotateOnAutoEoi { get; private set; }

    /// <summary>Special mask mode (OCW3): masked levels do not block lower-priority ones.</summary>
    public bool SpecialMaskMode { get; private set; }

    /// <summary>
    /// ICW4 special fully nested mode (master only): the slave's cascade input can interrupt while in service.
    /// </summary>
    public bool SpecialFullyNested { get; private set; }

    /// <summary>ICW1 LTIM: every input level-sensitive, whatever the ELCR says.</summary>
    public bool LevelTriggeredMode { get; private set; }

    /// <summary>The chip's INT output: a request out-ranks everything in service.</summary>
    public bool Output => HighestRequest() != NoRequest;

    private byte LevelSensitive => LevelTriggeredMode ? byte.MaxValue : Elcr;

    /// <summary>Drives input <paramref name="irq"/> (0-7) to <paramref name="level"/>.</summary>
    internal void SetInput(int irq, bool level)
    {
        var bit = (byte)(1 << irq);
        if ((LevelSensitive & bit) != 0)
        {
            Irr = level ? (byte)(Irr | bit) : (byte)(Irr & ~bit);
        }
        else if (level && (_lineLevels & bit) == 0)
        {
            Irr |= bit;
        }

        _lineLevels = level ? (byte)(_lineLevels | bit) : (byte)(_lineLevels & ~bit);
    }

    internal void WriteElcr(byte value) => Elcr = (byte)(value & _elcrWritableMask);

    /// <summary>Power-on state: not initialized, nothing requested, in service or masked; ELCR edge for every input.</summary>
    internal void Reset()
    {
        Elcr = 0;
        Irr = 0;
        VectorBase = 0;
        ClearModes();
        _initStep = PicInitStep.Ready;
        _icw4Needed = false;
        _singleMode = false;
        LevelTriggeredMode = false;
    }

    /// <summary>The level (0-7) that would be acknowledged now, or -1.</summary>
    internal int HighestRequest()
    {
        var requested = (byte)(Irr & ~Imr);
        var priority = PriorityOf(requested);
        if (priority == LevelCount)
        {
            return NoRequest;
        }

        var inService = Isr;
        if (SpecialMaskMode)
        {
            inService &= (byte)~Imr;
        }

        if (SpecialFullyNested && _isMaster)
        {
            // The cascade input may interrupt its own service routine for a higher slave level.
            inService &= unchecked((byte)~(1 << PicPair.CascadeIrq));
        }

        return priority < PriorityOf(inService) ? LevelAt(priority) : NoRequest;
    }

    /// <summary>INTA for level <paramref name="irq"/>: sets ISR (unless auto-EOI) and clears an edge request.</summary>
    internal void Acknowledge(int irq)
    {
        var bit = (byte)(1 << irq);
        if (AutoEoi)
        {
            if (RotateOnAutoEoi)
            {
                _lowestPriority = irq;
            }
        }
        else
        {
            Isr |= bit;
        }

        // A level-sensitive request stays in IRR for as long as the device holds the line.
        if ((LevelSensitive & bit) == 0)
        {
            Irr &= (byte)~bit;
        }
    }

    internal void WriteCommand(byte value)
    {
        var icw1 = (PicIcw1)value;
        if ((icw1 & PicIcw1.Initialize) != 0)
        {
            Initialize(icw1);
        }
        else if ((value & (byte)PicOcw3.IsOcw3) != 0)
        {
            WriteOcw3((PicOcw3)value);
        }
        else
        {
            WriteOcw2(value);
        }
    }

    internal void WriteData(byte value)
    {
        switch (_initStep)
        {
            case PicInitStep.ExpectIcw2:
                VectorBase = (byte)(value & VectorBaseMask);
                _initStep = _singleMode ? AfterIcw3() : PicInitStep.ExpectIcw3;
                break;
            case PicInitStep.ExpectIcw3:
                // ICW3 (cascade wiring) is fixed by the PC board: slave on master IRQ 2.
                _initStep = AfterIcw3();
                break;
            case PicInitStep.ExpectIcw4:
                var icw4 = (PicIcw4)value;
                AutoEoi = (icw4 & PicIcw4.AutoEoi) != 0;
                SpecialFullyNested = (icw4 & PicIcw4.SpecialFullyNested) != 0;
                _initStep = PicInitStep.Ready;
                break;
            default:
                Imr = value;
                break;
        }
    }

    /// <summary>Command-port read: the poll word after a poll command, otherwise IRR or ISR as OCW3 selected.</summary>
    internal byte ReadCommand()
    {
        if (_pollPending)
        {
            _pollPending = false;
            var irq = HighestRequest();
            if (irq == NoRequest)
            {
                return 0;
            }

            Acknowledge(irq);
            return (byte)(PollRequestBit | irq);
        }

        return _readIsr ? Isr : Irr;
    }

    internal byte ReadData() => Imr;

    private void Initialize(PicIcw1 icw1)
    {
        // Initialization clears the edge detectors, the mask, ISR and the modes (datasheet, "Initialization Command Words").
        Irr &= LevelSensitive;
        ClearModes();
        _icw4Needed = (icw1 & PicIcw1.Icw4Needed) != 0;
        _singleMode = (icw1 & PicIcw1.SingleMode) != 0;
        LevelTriggeredMode = (icw1 & PicIcw1.LevelTriggeredMode) != 0;
        _initStep = PicInitStep.ExpectIcw2;
    }

    /// <summary>What ICW1 and a reset both clear: edge detectors, mask, ISR, priority, read and poll selection, the special modes.</summary>
    private void ClearModes()
    {
        _lineLevels = 0;
        Imr = 0;
        Isr = 0;
        _lowestPriority = LowestLevel;
        _readIsr = false;
        _pollPending = false;
        SpecialMaskMode = false;
        AutoEoi = false;
        RotateOnAutoEoi = false;
        SpecialFullyNested = false;
    }

    private PicInitStep AfterIcw3() => _icw4Needed ? PicInitStep.ExpectIcw4 : PicInitStep.Ready;

    private void WriteOcw3(PicOcw3 ocw3)
    {
        if ((ocw3 & PicOcw3.PollCommand) != 0)
        {
            _pollPending = true;
        }

        if ((ocw3 & PicOcw3.ReadRegisterCommand) != 0)
        {
            _readIsr = (ocw3 & PicOcw3.ReadIsr) != 0;
        }

        if ((ocw3 & PicOcw3.SpecialMaskCommand) != 0)
        {
            SpecialMaskMode = (ocw3 & PicOcw3.SpecialMask) != 0;
        }
    }

    private void WriteOcw2(byte value)
    {
        var level = value & LevelMask;
        switch ((PicOcw2Command)(value >> Ocw2CommandShift))
        {
            case PicOcw2Command.RotateInAutoEoiClear:
                RotateOnAutoEoi = false;
                break;
            case PicOcw2Command.RotateInAutoEoiSet:
                RotateOnAutoEoi = true;
                break;
            case PicOcw2Command.NonSpecificEoi:
                EndHighestInService(rotate: false);
                break;
            case PicOcw2Command.RotateOnNonSpecificEoi:
                EndHighestInService(rotate: true);
                break;
            case PicOcw2Command.SpecificEoi:
                Isr &= (byte)~(1 << level);
                break;
            case PicOcw2Command.RotateOnSpecificEoi:
                Isr &= (byte)~(1 << level);
                _lowestPriority = level;
                break;
            case PicOcw2Command.SetPriority:
                _lowestPriority = level;
                break;
            default:
                break;
        }
    }

    private void EndHighestInService(bool rotate)
    {
        var priority = PriorityOf(Isr);
        if (priority == LevelCount)
        {
            return;
        }

        var irq = LevelAt(priority);
        Isr &= (byte)~(1 << irq);
        if (rotate)
        {
            _lowestPriority = irq;
        }
    }

    /// <summary>Rank (0 = highest) of the best level set in <paramref name="levels"/>, or 8 when none is set.</summary>
    private int PriorityOf(byte levels)
    {
        for (var rank = 0; rank < LevelCount; rank++)
        {
            if ((levels & (1 << LevelAt(rank))) != 0)
            {
                return rank;
            }
        }

        return LevelCount;
    }

    private int LevelAt(int rank) => (_lowestPriority + 1 + rank) & LevelMask;
}
