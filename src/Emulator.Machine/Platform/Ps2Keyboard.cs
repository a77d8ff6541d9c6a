namespace Emulator.Machine.Platform;

/// <summary>
/// The PS/2 keyboard behind the 8042: answers the host commands of <see cref="Ps2KeyboardCommand"/>
/// (reset with BAT 0xAA, identify, echo, LEDs, typematic, scan code set, enable/disable) and turns
/// host key events into scan codes. It produces scan code set 1 directly, i.e. what the 8042 hands
/// the system with translation on. Limitations: translation off does not switch to raw set 2 codes
/// (the keyboard keeps sending set 1); no typematic repeat; no fake-shift sequences for the
/// cursor block under NumLock.
/// </summary>
public sealed class Ps2Keyboard
{
    private const byte ExtendedPrefix = 0xE0;
    private const byte BreakBit = 0x80;
    private const int ByteBits = 8;

    /// <summary>MF2 keyboard ID bytes after translation (0xAB, 0x83 untranslated).</summary>
    private const byte IdFirst = 0xAB;
    private const byte IdSecondTranslated = 0x41;

    /// <summary>Reply to "get scan code set" when the 8042 translates set 2: 0x02 translated.</summary>
    private const byte ScanSetTwoTranslated = 0x41;
    private const byte GetCurrentSet = 0x00;

    private readonly Queue<byte> _output = new();
    private Ps2KeyboardCommand? _awaitingArgument;

    public bool ScanningEnabled { get; private set; } = true;

    public byte Leds { get; private set; }

    internal bool HasOutput => _output.Count > 0;

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
                _output.Enqueue(ScanSetTwoTranslated);
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
                _output.Enqueue(IdSecondTranslated);
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
                _output.Clear();
                ScanningEnabled = true;
                Leds = 0;
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

        _output.Enqueue((byte)(pressed ? code : code | BreakBit));
    }

    internal void RawScanCode(byte value) => _output.Enqueue(value);

    private void Reply(Ps2KeyboardCommand reply) => _output.Enqueue((byte)reply);
}
