using Emulator.Machine.Bus;
using Emulator.Machine.Interrupts;
using Emulator.Machine.Lifecycle;
using Emulator.Machine.Timers;

namespace Emulator.Machine.Platform;

/// <summary>
/// National Semiconductor 16550A UART (datasheet, June 1995), by default COM1 at ports
/// 0x3F8-0x3FF on IRQ 4: RBR/THR, IER, IIR with the FIFO bits, FCR with 16-byte receive FIFO
/// and trigger levels, LCR with the divisor latch (DLAB), MCR including loopback, LSR, MSR
/// and the scratch register. Transmission is instantaneous: a THR write goes straight to the
/// host sink (or, in loopback, into the receive FIFO), so THRE and TEMT always read set and
/// the THRE interrupt is re-armed by every write. Host input is queued without limit and moved
/// into the receive FIFO as the guest drains it, so the guest sees flow control rather than overruns.
/// Interrupt priorities follow Table IV: line status, received data / character timeout, THRE, modem status.
/// With FIFOs on, data below the trigger level raises the character timeout interrupt once four
/// character times (from the divisor and LCR frame format) pass on the <see cref="VirtualClock"/>
/// without FIFO activity; without a clock it is reported at once.
/// Limitations: like QEMU, the IRQ is not gated by OUT2; no parity, framing or break errors are ever
/// generated; the baud rate only paces the character timeout, not transmission or reception.
/// </summary>
internal sealed class Uart16550 : IPortDevice, IResettable
{
    public const ushort Com1Port = 0x3F8;
    public const int Com1Irq = 4;
    public const int PortCount = 8;
    public const int FifoSize = 16;

    /// <summary>The 1.8432 MHz crystal divided by 16: the baud rate for divisor 1.</summary>
    public const int BaseBaudRate = 115_200;

    private const int TriggerShift = 6;
    private const int ByteBits = 8;
    private const int TimeoutCharacters = 4;
    private const int StartBit = 1;
    private const int MinimumDataBits = 5;

    private static readonly int[] TriggerLevels = [1, 4, 8, 14];

    private readonly IrqOutput _irq;
    private readonly Action<byte> _transmit;
    private readonly ushort _basePort;
    private readonly VirtualClock? _clock;
    private readonly VirtualTimer? _timeoutTimer;
    private readonly UartReceiveFifo _rx = new();
    private readonly UartModem _modem = new();

    private UartIer _ier;
    private UartLcr _lcr;
    private UartLsr _lsrErrors;
    private bool _fifoEnabled;
    private int _triggerLevel = 1;
    private bool _thrInterrupt;
    private byte _scratch;
    private byte _divisorLow = 1;
    private byte _divisorHigh;
    private bool _timeoutPending;

    /// <param name="irq">The UART's IRQ line (ISA IRQ 4 for COM1).</param>
    /// <param name="transmit">Receives every byte the guest transmits.</param>
    /// <param name="basePort">First of the eight ports (0x3F8 for COM1).</param>
    /// <param name="clock">Paces the character timeout; null reports it immediately.</param>
    public Uart16550(IIrqLine irq, Action<byte> transmit, ushort basePort = Com1Port, VirtualClock? clock = null)
    {
        ArgumentNullException.ThrowIfNull(irq);
        ArgumentNullException.ThrowIfNull(transmit);
        _irq = new IrqOutput(irq);
        _transmit = transmit;
        _basePort = basePort;
        _clock = clock;
        _timeoutTimer = clock?.CreateTimer(OnCharacterTimeout, "uart-timeout");
    }

    public int Divisor => (_divisorHigh << ByteBits) | _divisorLow;

    /// <summary>
    /// Power-on registers: interrupts off, FIFOs off and empty, LCR and MCR clear, divisor 1, no
    /// pending timeout; IRQ dropped. Bytes the host queued and the guest has not yet seen stay queued.
    /// </summary>
    public void Reset()
    {
        _rx.Clear();
        _rx.Capacity = 1;
        _modem.Reset();
        _ier = UartIer.None;
        _lcr = UartLcr.None;
        _lsrErrors = UartLsr.None;
        _fifoEnabled = false;
        _triggerLevel = 1;
        _thrInterrupt = false;
        _scratch = 0;
        _divisorLow = 1;
        _divisorHigh = 0;
        _timeoutPending = false;
        _timeoutTimer?.Cancel();
        Refill();
        UpdateIrq();
    }

    /// <summary>The programmed baud rate, or 0 while the divisor is 0.</summary>
    public int BaudRate => Divisor == 0 ? 0 : BaseBaudRate / Divisor;

    public bool FifoEnabled => _fifoEnabled;

    private bool Loopback => _modem.Loopback;

    public void RegisterPorts(IoPortBus bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.Register(this, _basePort, PortCount);
    }

    /// <summary>Host input: queues a byte for the guest to receive.</summary>
    public void Enqueue(byte value)
    {
        _rx.EnqueueHost(value);
        Refill();
        UpdateIrq();
    }

    /// <summary>Host input: queues bytes for the guest to receive.</summary>
    public void Enqueue(ReadOnlySpan<byte> values)
    {
        foreach (var value in values)
        {
            _rx.EnqueueHost(value);
        }

        Refill();
        UpdateIrq();
    }

    public uint Read(ushort port, PortWidth width)
    {
        var dlab = (_lcr & UartLcr.DivisorLatchAccess) != 0;
        byte value;
        switch ((UartRegister)(port - _basePort))
        {
            case UartRegister.Data:
                value = dlab ? _divisorLow : ReceiveByte();
                break;
            case UartRegister.InterruptEnable:
                value = dlab ? _divisorHigh : (byte)_ier;
                break;
            case UartRegister.InterruptIdFifoControl:
                value = ReadInterruptId();
                break;
            case UartRegister.LineControl:
                value = (byte)_lcr;
                break;
            case UartRegister.ModemControl:
                value = (byte)_modem.Control;
                break;
            case UartRegister.LineStatus:
                value = (byte)LineStatus();
                _lsrErrors = UartLsr.None;
                break;
            case UartRegister.ModemStatus:
                value = (byte)_modem.ReadStatus();
                break;
            default:
                value = _scratch;
                break;
        }

        UpdateIrq();
        return value;
    }

    public void Write(ushort port, PortWidth width, uint value)
    {
        var b = (byte)value;
        var dlab = (_lcr & UartLcr.DivisorLatchAccess) != 0;
        switch ((UartRegister)(port - _basePort))
        {
            case UartRegister.Data when dlab:
                _divisorLow = b;
                break;
            case UartRegister.Data:
                TransmitByte(b);
                break;
            case UartRegister.InterruptEnable when dlab:
                _divisorHigh = b;
                break;
            case UartRegister.InterruptEnable:
                var old = _ier;
                _ier = (UartIer)b & UartIer.Mask;

                // Enabling THRE interrupts while THR is empty raises one at once (the 16550's behaviour, relied on by drivers).
                if ((_ier & UartIer.TransmitterEmpty) != 0 && (old & UartIer.TransmitterEmpty) == 0)
                {
                    _thrInterrupt = true;
                }

                break;
            case UartRegister.InterruptIdFifoControl:
                WriteFifoControl((UartFcr)b);
                break;
            case UartRegister.LineControl:
                _lcr = (UartLcr)b;
                break;
            case UartRegister.ModemControl:
                _modem.WriteControl((UartMcr)b);
                Refill();
                break;
            case UartRegister.LineStatus:
            case UartRegister.ModemStatus:
                break;
            default:
                _scratch = b;
                break;
        }

        UpdateIrq();
    }

    private byte ReceiveByte()
    {
        if (_rx.Count == 0)
        {
            return 0;
        }

        var value = _rx.Pop();
        _timeoutPending = false;
        Refill();
        RestartTimeout();
        return value;
    }

    private void TransmitByte(byte value)
    {
        if (Loopback)
        {
            if (!_rx.IsFull)
            {
                PushReceive(value);
            }
            else
            {
                _lsrErrors |= UartLsr.OverrunError;
            }
        }
        else
        {
            _transmit(value);
        }

        // The byte left THR at once, so THR is empty again.
        _thrInterrupt = true;
    }

    private void WriteFifoControl(UartFcr fcr)
    {
        var enable = (fcr & UartFcr.Enable) != 0;
        if (enable != _fifoEnabled || (fcr & UartFcr.ClearReceive) != 0)
        {
            // Changing the FIFO mode resets both FIFOs (datasheet, FCR bit 0).
            _rx.Clear();
            _timeoutPending = false;
        }

        _fifoEnabled = enable;
        _rx.Capacity = enable ? FifoSize : 1;
        _triggerLevel = TriggerLevels[(int)(fcr & UartFcr.TriggerMask) >> TriggerShift];
        Refill();
        RestartTimeout();
    }

    private UartLsr LineStatus()
    {
        var lsr = UartLsr.TransmitHoldingEmpty | UartLsr.TransmitterEmpty | _lsrErrors;
        if (_rx.Count > 0)
        {
            lsr |= UartLsr.DataReady;
        }

        return lsr;
    }

    private UartInterruptId PendingInterrupt()
    {
        if ((_ier & UartIer.LineStatus) != 0 && (_lsrErrors & UartLsr.Errors) != 0)
        {
            return UartInterruptId.LineStatus;
        }

        if ((_ier & UartIer.ReceivedData) != 0 && _rx.Count > 0)
        {
            if (!_fifoEnabled || _rx.Count >= _triggerLevel)
            {
                return UartInterruptId.ReceivedData;
            }

            if (_timeoutPending || _clock is null)
            {
                return UartInterruptId.CharacterTimeout;
            }
        }

        if ((_ier & UartIer.TransmitterEmpty) != 0 && _thrInterrupt)
        {
            return UartInterruptId.TransmitterEmpty;
        }

        if ((_ier & UartIer.ModemStatus) != 0 && _modem.HasDeltas)
        {
            return UartInterruptId.ModemStatus;
        }

        return UartInterruptId.NoInterrupt;
    }

    private byte ReadInterruptId()
    {
        var id = PendingInterrupt();

        // Reading IIR while it reports THRE acknowledges that source (datasheet, Table IV "reset control").
        if (id == UartInterruptId.TransmitterEmpty)
        {
            _thrInterrupt = false;
        }

        return (byte)((byte)id | (_fifoEnabled ? (byte)UartInterruptId.FifosEnabled : 0));
    }

    private void Refill()
    {
        // In loopback the receiver is disconnected from the line, so host input waits.
        if (!Loopback && _rx.Refill())
        {
            RestartTimeout();
        }
    }

    private void PushReceive(byte value)
    {
        _rx.Push(value);
        RestartTimeout();
    }

    /// <summary>FIFO activity restarts the four-character timeout while data waits below the trigger level.</summary>
    private void RestartTimeout()
    {
        if (_timeoutTimer is null || _clock is null)
        {
            return;
        }

        if (_fifoEnabled && _rx.Count > 0)
        {
            _timeoutTimer.Arm(_clock.Now + (TimeoutCharacters * CharacterTimeNs()));
        }
        else
        {
            _timeoutTimer.Cancel();
        }
    }

    private void OnCharacterTimeout()
    {
        _timeoutPending = _rx.Count > 0;
        UpdateIrq();
    }

    /// <summary>One frame (start, data, parity, stop bits per LCR) at the programmed baud rate.</summary>
    private long CharacterTimeNs()
    {
        var bits = StartBit + MinimumDataBits + (int)(_lcr & UartLcr.WordLengthMask)
            + ((_lcr & UartLcr.ParityEnable) != 0 ? 1 : 0)
            + ((_lcr & UartLcr.TwoStopBits) != 0 ? 2 : 1);
        var divisor = Math.Max(1, Divisor);
        return bits * VirtualClock.NanosecondsPerSecond * divisor / BaseBaudRate;
    }

    private void UpdateIrq() => _irq.Set(PendingInterrupt() != UartInterruptId.NoInterrupt);
}
