namespace Emulator.Machine.Platform;

/// <summary>
/// The PS/2 keyboard behind the 8042: answers the host commands of <see cref="Ps2KeyboardCommand"/>
/// (reset with BAT 0xAA, identify 0xAB 0x83, echo, LEDs, typematic, scan code set 1 or 2,
/// enable/disable) and turns host key events into scan codes of its current set (2 after reset,
/// like a real MF2 keyboard; the 8042 translates to set 1 when its command byte asks).
/// Limitations: set 3 is accepted but produces set 2 codes; no typematic repeat; no fake-shift
/// sequences for the cursor block under NumLock.
/// </summary>
internal sealed class Ps2Keyboard
{
    private const byte ExtendedPrefix = 0xE0;
    private const byte BreakBit = 0x80;
    private const int ByteBits = 8;

    /// <summary>MF2 keyboard ID (PS/2 Technical Reference, "Read ID").</summary>
    private const byte IdFirst = 0xAB;
    private const byte IdSecond = 0x83;
    private const byte GetCurrentSet = 0x00;
    private const byte DefaultSet = 2;
    private const byte MaxScanCodeSet = 3;

    private readonly Queue<byte> _output = new();
    private Ps2KeyboardCommand? _awaitingArgument;

    public bool ScanningEnabled { get; private set; } = true;

    public byte Leds { get; private set; }

    /// <summary>The scan code set the keyboard sends: 1, 2 or 3 (3 is sent as 2).</summary>
    public byte ScanCodeSet { get; private set; } = DefaultSet;

    internal bool HasOutput => _output.Count > 0;

    /// <summary>Power-on: scanning on, set 2, LEDs off, nothing queued (QEMU's PS/2 keyboard reset does the same).</summary>
    internal void Reset()
    {
        _output.Clear();
        _awaitingArgument = null;
        ScanningEnabled = true;
        Leds = 0;
        ScanCodeSet = DefaultSet;
    }

    internal byte TakeOutput() => _output.Dequeue();

    /// <summary>A byte the host sent to the keyboard.</summary>
    internal void Receive(byte value)
    {
        if (_awaitingArgument is { } command)
        {
            _awaitingArgument = null;
            Reply(Ps2KeyboardCommand.Acknowledge);
            if (command == Ps2KeyboardCommand.SetLeds)
            {
                Leds = value;
            }
            else if (command == Ps2KeyboardCommand.ScanCodeSet && value == GetCurrentSet)
            {
                _output.Enqueue(ScanCodeSet);
            }
            else if (command == Ps2KeyboardCommand.ScanCodeSet && value <= MaxScanCodeSet)
            {
                ScanCodeSet = value;
            }

            return;
        }

        switch ((Ps2KeyboardCommand)value)
        {
            case Ps2KeyboardCommand.SetLeds:
            case Ps2KeyboardCommand.ScanCodeSet:
            case Ps2KeyboardCommand.SetTypematic:
                _awaitingArgument = (Ps2KeyboardCommand)value;
                Reply(Ps2KeyboardCommand.Acknowledge);
                break;
            case Ps2KeyboardCommand.Echo:
                Reply(Ps2KeyboardCommand.Echo);
                break;
            case Ps2KeyboardCommand.Identify:
                Reply(Ps2KeyboardCommand.Acknowledge);
                _output.Enqueue(IdFirst);
                _output.Enqueue(IdSecond);
                break;
            case Ps2KeyboardCommand.Enable:
                ScanningEnabled = true;
                Reply(Ps2KeyboardCommand.Acknowledge);
                break;
            case Ps2KeyboardCommand.DefaultDisable:
                ScanningEnabled = false;
                Reply(Ps2KeyboardCommand.Acknowledge);
                break;
            case Ps2KeyboardCommand.SetDefault:
                ScanningEnabled = true;
                Reply(Ps2KeyboardCommand.Acknowledge);
                break;
            case Ps2KeyboardCommand.Reset:
                Reset();
                Reply(Ps2KeyboardCommand.Acknowledge);
                Reply(Ps2KeyboardCommand.SelfTestPassed);
                break;
            default:
                Reply(Ps2KeyboardCommand.Resend);
                break;
        }
    }

    /// <summary>Queues the make (or break) code of <paramref name="key"/> unless scanning is disabled.</summary>
    internal void KeyEvent(Key key, bool pressed)
    {
        if (!ScanningEnabled)
        {
            return;
        }

        var code = (ushort)key;
        if (code >> ByteBits == ExtendedPrefix)
        {
            _output.Enqueue(ExtendedPrefix);
        }

        if (ScanCodeSet == 1)
        {
            _output.Enqueue((byte)(pressed ? code : code | BreakBit));
            return;
        }

        if (!pressed)
        {
            _output.Enqueue(ScanCodeSet2.BreakPrefix);
        }

        _output.Enqueue(ScanCodeSet2.FromSet1Code((byte)code));
    }

    internal void RawScanCode(byte value) => _output.Enqueue(value);

    /// <summary>Queues make and break codes for each character on a US layout, with Shift around shifted ones.</summary>
    /// <exception cref="ArgumentException">A character the layout cannot type.</exception>
    internal void Type(string text)
    {
        ArgumentNullException.ThrowIfNull(text);

        // Check the whole string first so a refused string types nothing at all.
        foreach (var c in text)
        {
            if (!UsKeyboardLayout.TryMap(c, out _, out _))
            {
                throw new ArgumentException($"Cannot type U+{(int)c:X4} on a US keyboard.", nameof(text));
            }
        }

        foreach (var c in text)
        {
            UsKeyboardLayout.TryMap(c, out var key, out var shift);
            if (shift)
            {
                KeyEvent(Key.LeftShift, pressed: true);
            }

            KeyEvent(key, pressed: true);
            KeyEvent(key, pressed: false);
            if (shift)
            {
                KeyEvent(Key.LeftShift, pressed: false);
            }
        }
    }

    private void Reply(Ps2KeyboardCommand reply) => _output.Enqueue((byte)reply);
}
