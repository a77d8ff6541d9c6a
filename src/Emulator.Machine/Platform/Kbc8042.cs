using Emulator.Machine.Bus;
using Emulator.Machine.Interrupts;
using Emulator.Machine.Lifecycle;
using Emulator.Machine.Memory;

namespace Emulator.Machine.Platform;

/// <summary>
/// Intel 8042 keyboard controller (IBM PS/2 Technical Reference, "Keyboard/Auxiliary Device
/// Controller") at ports 0x60 (data) and 0x64 (status/command) with a <see cref="Ps2Keyboard"/>
/// on IRQ 1. Emulates the status register, the command byte (read 0x20 / write 0x60, plus the
/// other 31 RAM bytes), self-test 0xAA → 0x55, interface tests 0xA9/0xAB → 0x00, keyboard and
/// aux enable/disable, the input and output ports (0xC0, 0xD0, 0xD1) with A20 driving
/// <see cref="IA20Gate"/> and the active-low reset line calling the reset callback, 0xDD/0xDF A20
/// shortcuts, 0xD2/0xD3 output-buffer writes, and the 0xF0-0xFF pulse commands (0xFE resets the CPU).
/// The host types through <see cref="TypeText"/>, <see cref="TapKey"/>, <see cref="PressKey"/> and
/// <see cref="ReleaseKey"/>; the keyboard sends set 2 and, with command byte bit 6 set, the
/// controller translates every keyboard byte to set 1 (folding the 0xF0 break prefix into bit 7).
/// IRQ 1 follows the output buffer: raised when a keyboard byte is loaded and the command byte
/// enables it, lowered when port 0x60 is read, so every byte is a fresh edge.
/// A <see cref="Ps2Mouse"/> sits on the auxiliary port (0xD4 writes reach it, its bytes set AUX OBF
/// and raise IRQ 12; 0xD3 echoes go out ahead of them).
/// Limitations: the command byte resets to 0x43 (interrupts on, translation on) rather than QEMU's 0x03,
/// so the host API yields set 1 codes even before the firmware programs the controller.
/// </summary>
public sealed class Kbc8042 : IPortDevice, IResettable
{
    /// <summary>The data port: reads the output buffer, writes go to the keyboard or to a command's parameter.</summary>
    public const ushort DataPort = 0x60;
    /// <summary>Reads the status register; writes a controller command.</summary>
    public const ushort StatusCommandPort = 0x64;
    /// <summary>The keyboard's ISA IRQ.</summary>
    public const int KeyboardIrq = 1;
    /// <summary>The auxiliary (PS/2 mouse) port's ISA IRQ.</summary>
    public const int AuxIrq = 12;

    private const byte SelfTestPassed = 0x55;
    private const byte InterfaceTestPassed = 0x00;
    private const int RamSize = 32;
    private const byte RamIndexMask = 0x1F;

    /// <summary>Input port as QEMU reports it: bit 7 set = keyboard not inhibited.</summary>
    private const byte InputPortValue = 0x80;
    private const byte PulseResetBit = 0x01;
    private const byte BreakBit = 0x80;
    private const KbcCommandByte ResetCommandByte = KbcCommandByte.KeyboardInterrupt | KbcCommandByte.AuxInterrupt | KbcCommandByte.Translate;
    private const KbcOutputPort OutputPortFixedBits = KbcOutputPort.SystemResetInactive | KbcOutputPort.KeyboardClock | KbcOutputPort.KeyboardData;

    private readonly IrqOutput _irq1;
    private readonly IrqOutput? _irq12;
    private readonly IA20Gate _a20;
    private readonly Action _resetRequested;
    private readonly Queue<byte> _controllerOutput = new();
    private readonly Queue<byte> _auxOutput = new();
    private readonly byte[] _ram = new byte[RamSize];

    private const KbcStatus PowerOnStatus = KbcStatus.LastWriteWasCommand | KbcStatus.KeyboardNotInhibited;

    private KbcStatus _status = PowerOnStatus;
    private KbcCommand? _pendingCommand;
    private bool _translatedBreakPending;
    private byte _outputBuffer;

    /// <param name="irq1">Keyboard interrupt (ISA IRQ 1).</param>
    /// <param name="irq12">Aux (mouse) interrupt, ISA IRQ 12; null when not wired.</param>
    /// <param name="a20">The A20 gate driven by output port bit 1.</param>
    /// <param name="resetRequested">Called when the guest pulls the CPU reset line (0xFE, or output port bit 0 cleared).</param>
    public Kbc8042(IIrqLine irq1, IIrqLine? irq12, IA20Gate a20, Action resetRequested)
    {
        ArgumentNullException.ThrowIfNull(irq1);
        ArgumentNullException.ThrowIfNull(a20);
        ArgumentNullException.ThrowIfNull(resetRequested);
        _irq1 = new IrqOutput(irq1);
        _irq12 = irq12 is null ? null : new IrqOutput(irq12);
        _a20 = a20;
        _resetRequested = resetRequested;
        _ram[0] = (byte)ResetCommandByte;
    }

    internal Ps2Keyboard Keyboard { get; } = new();

    internal Ps2Mouse Mouse { get; } = new();

    /// <summary>Host mouse movement (<paramref name="dy"/> positive is up), reported if the guest enabled the mouse.</summary>
    public void MoveMouse(int dx, int dy, MouseButtons buttons)
    {
        Mouse.Move(dx, dy, buttons);
        Pump();
    }

    internal KbcCommandByte CommandByte => (KbcCommandByte)_ram[0];

    /// <summary>
    /// Power-on: output buffer empty, interrupts and translation on in the command byte, no command
    /// pending, the keyboard and mouse reset; IRQ 1 and 12 drop. The A20 gate belongs to the machine.
    /// </summary>
    public void Reset()
    {
        _status = PowerOnStatus;
        _pendingCommand = null;
        _translatedBreakPending = false;
        _outputBuffer = 0;
        _controllerOutput.Clear();
        _auxOutput.Clear();
        Array.Clear(_ram);
        _ram[0] = (byte)ResetCommandByte;
        Keyboard.Reset();
        Mouse.Reset();
        UpdateIrqs();
    }

    /// <inheritdoc/>
    public void RegisterPorts(IoPortBus bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.Register(this, DataPort, 1);
        bus.Register(this, StatusCommandPort, 1);
    }

    /// <summary>Types <paramref name="text"/> on a US layout: make and break per character, Shift around shifted ones.</summary>
    /// <exception cref="ArgumentException">A character the layout cannot type.</exception>
    public void TypeText(string text)
    {
        Keyboard.Type(text);
        Pump();
    }

    /// <summary>Press and release <paramref name="key"/> (Enter, arrows, Escape, function keys...).</summary>
    public void TapKey(Key key)
    {
        Keyboard.KeyEvent(key, pressed: true);
        Keyboard.KeyEvent(key, pressed: false);
        Pump();
    }

    /// <summary>
    /// Presses <paramref name="key"/> and holds it (typematic repeat is not emulated); call from the machine thread.
    /// </summary>
    public void PressKey(Key key)
    {
        Keyboard.KeyEvent(key, pressed: true);
        Pump();
    }

    /// <summary>Releases <paramref name="key"/>; call from the machine thread.</summary>
    public void ReleaseKey(Key key)
    {
        Keyboard.KeyEvent(key, pressed: false);
        Pump();
    }

    /// <summary>Queues raw scan code bytes from the keyboard, for sequences the key API does not cover.</summary>
    public void SendScanCodes(ReadOnlySpan<byte> codes)
    {
        foreach (var code in codes)
        {
            Keyboard.RawScanCode(code);
        }

        Pump();
    }

    /// <inheritdoc/>
    public uint Read(ushort port, PortWidth width)
    {
        if (port == StatusCommandPort)
        {
            return (byte)_status;
        }

        // Reading an empty buffer returns the last byte again, as the 8042 does.
        var value = _outputBuffer;
        _status &= ~(KbcStatus.OutputBufferFull | KbcStatus.AuxOutputBufferFull);

        // Drop the line before loading the next byte so each byte reaches the edge-triggered PIC as a new edge.
        UpdateIrqs();
        Pump();
        return value;
    }

    /// <inheritdoc/>
    public void Write(ushort port, PortWidth width, uint value)
    {
        var b = (byte)value;
        if (port == StatusCommandPort)
        {
            _status |= KbcStatus.LastWriteWasCommand;
            _pendingCommand = null;
            ExecuteCommand((KbcCommand)b);
        }
        else
        {
            _status &= ~KbcStatus.LastWriteWasCommand;
            WriteData(b);
        }

        Pump();
    }

    private void ExecuteCommand(KbcCommand command)
    {
        switch (command)
        {
            case >= KbcCommand.ReadCommandByte and <= KbcCommand.ReadRamLast:
                _controllerOutput.Enqueue(_ram[(byte)command & RamIndexMask]);
                break;
            case >= KbcCommand.WriteCommandByte and <= KbcCommand.WriteRamLast:
            case KbcCommand.WriteOutputPort:
            case KbcCommand.WriteKeyboardOutput:
            case KbcCommand.WriteAuxOutput:
            case KbcCommand.WriteAux:
                _pendingCommand = command;
                break;
            case KbcCommand.DisableAux:
                _ram[0] |= (byte)KbcCommandByte.AuxDisabled;
                break;
            case KbcCommand.EnableAux:
                _ram[0] &= unchecked((byte)~KbcCommandByte.AuxDisabled);
                break;
            case KbcCommand.TestAux:
            case KbcCommand.TestKeyboard:
                _controllerOutput.Enqueue(InterfaceTestPassed);
                break;
            case KbcCommand.SelfTest:
                _ram[0] |= (byte)KbcCommandByte.SystemFlag;
                _status |= KbcStatus.SystemFlag;
                _controllerOutput.Enqueue(SelfTestPassed);
                break;
            case KbcCommand.DisableKeyboard:
                _ram[0] |= (byte)KbcCommandByte.KeyboardDisabled;
                break;
            case KbcCommand.EnableKeyboard:
                _ram[0] &= unchecked((byte)~KbcCommandByte.KeyboardDisabled);
                break;
            case KbcCommand.ReadInputPort:
                _controllerOutput.Enqueue(InputPortValue);
                break;
            case KbcCommand.ReadOutputPort:
                _controllerOutput.Enqueue((byte)OutputPort());
                break;
            case KbcCommand.DisableA20:
                _a20.A20Enabled = false;
                break;
            case KbcCommand.EnableA20:
                _a20.A20Enabled = true;
                break;
            case KbcCommand.ReadTestInputs:
                _controllerOutput.Enqueue(0);
                break;
            case >= KbcCommand.PulseOutputFirst:
                // Bits 3-0 clear select the output lines to pulse low; line 0 is the CPU reset.
                if (((byte)command & PulseResetBit) == 0)
                {
                    _resetRequested();
                }

                break;
            default:
                break;
        }
    }

    private void WriteData(byte value)
    {
        var command = _pendingCommand;
        _pendingCommand = null;
        switch (command)
        {
            case >= KbcCommand.WriteCommandByte and <= KbcCommand.WriteRamLast:
                var index = (byte)command & RamIndexMask;
                _ram[index] = value;
                if (index == 0)
                {
                    var sys = ((KbcCommandByte)value & KbcCommandByte.SystemFlag) != 0;
                    _status = sys ? _status | KbcStatus.SystemFlag : _status & ~KbcStatus.SystemFlag;
                    UpdateIrqs();
                }

                break;
            case KbcCommand.WriteOutputPort:
                WriteOutputPort((KbcOutputPort)value);
                break;
            case KbcCommand.WriteKeyboardOutput:
                Keyboard.RawScanCode(value);
                break;
            case KbcCommand.WriteAuxOutput:
                _auxOutput.Enqueue(value);
                break;
            case KbcCommand.WriteAux:
                Mouse.Receive(value);
                break;
            default:
                Keyboard.Receive(value);
                break;
        }
    }

    private void WriteOutputPort(KbcOutputPort value)
    {
        _a20.A20Enabled = (value & KbcOutputPort.A20) != 0;
        if ((value & KbcOutputPort.SystemResetInactive) == 0)
        {
            _resetRequested();
        }
    }

    private KbcOutputPort OutputPort()
    {
        var port = OutputPortFixedBits;
        if (_a20.A20Enabled)
        {
            port |= KbcOutputPort.A20;
        }

        if ((_status & KbcStatus.OutputBufferFull) != 0)
        {
            port |= (_status & KbcStatus.AuxOutputBufferFull) != 0 ? KbcOutputPort.AuxOutputBufferFull : KbcOutputPort.KeyboardOutputBufferFull;
        }

        return port;
    }

    /// <summary>Moves the next pending byte into the empty output buffer: controller replies first, then keyboard, then aux.</summary>
    private void Pump()
    {
        if ((_status & KbcStatus.OutputBufferFull) == 0)
        {
            if (_controllerOutput.Count > 0)
            {
                Load(_controllerOutput.Dequeue(), aux: false);
            }
            else if ((CommandByte & KbcCommandByte.KeyboardDisabled) == 0 && TryTakeKeyboardByte(out var value))
            {
                Load(value, aux: false);
            }
            else if (_auxOutput.Count > 0)
            {
                Load(_auxOutput.Dequeue(), aux: true);
            }
            else if ((CommandByte & KbcCommandByte.AuxDisabled) == 0 && Mouse.HasOutput)
            {
                Load(Mouse.TakeOutput(), aux: true);
            }
        }

        UpdateIrqs();
    }

    /// <summary>The next keyboard byte as the system sees it: translated to set 1 when the command byte says so.</summary>
    private bool TryTakeKeyboardByte(out byte value)
    {
        while (Keyboard.HasOutput)
        {
            value = Keyboard.TakeOutput();
            if ((CommandByte & KbcCommandByte.Translate) == 0)
            {
                return true;
            }

            // The 8042 swallows the set 2 break prefix and sets bit 7 of the translated code that follows.
            if (value == ScanCodeSet2.BreakPrefix)
            {
                _translatedBreakPending = true;
                continue;
            }

            value = ScanCodeSet2.Translate(value);
            if (_translatedBreakPending)
            {
                value |= BreakBit;
                _translatedBreakPending = false;
            }

            return true;
        }

        value = 0;
        return false;
    }

    private void Load(byte value, bool aux)
    {
        _outputBuffer = value;
        _status |= KbcStatus.OutputBufferFull;
        if (aux)
        {
            _status |= KbcStatus.AuxOutputBufferFull;
        }
    }

    private void UpdateIrqs()
    {
        var full = (_status & KbcStatus.OutputBufferFull) != 0;
        var aux = (_status & KbcStatus.AuxOutputBufferFull) != 0;
        _irq1.Set(full && !aux && (CommandByte & KbcCommandByte.KeyboardInterrupt) != 0);
        _irq12?.Set(full && aux && (CommandByte & KbcCommandByte.AuxInterrupt) != 0);
    }
}
