namespace Emulator.Machine.Platform;

/// <summary>
/// A standard PS/2 mouse (device ID 0x00) behind the 8042's auxiliary port: answers reset
/// (0xFA, 0xAA, 0x00), get ID, status request, sample rate / resolution / scaling, stream and
/// remote mode, enable and disable reporting, and sends 3-byte movement packets from
/// <see cref="Move"/> while reporting is enabled in stream mode (or on 0xEB read data).
/// Limitations: no IntelliMouse wheel extension; wrap mode is acknowledged but does not echo.
/// </summary>
internal sealed class Ps2Mouse
{
    private const byte Acknowledge = 0xFA;
    private const byte Resend = 0xFE;
    private const byte SelfTestPassed = 0xAA;
    private const byte StandardMouseId = 0x00;
    private const byte DefaultSampleRate = 100;
    private const byte DefaultResolution = 2;
    private const byte PacketAlwaysOne = 0x08;
    private const byte PacketXSign = 0x10;
    private const byte PacketYSign = 0x20;
    private const byte PacketXOverflow = 0x40;
    private const byte PacketYOverflow = 0x80;
    private const byte StatusRemoteMode = 0x40;
    private const byte StatusReportingEnabled = 0x20;
    private const byte StatusScaling2To1 = 0x10;
    private const int MinimumDelta = -256;
    private const int MaximumDelta = 255;

    private readonly Queue<byte> _output = new();
    private Ps2MouseCommand? _awaitingArgument;
    private bool _remoteMode;
    private bool _scaling2To1;
    private MouseButtons _buttons;
    private int _pendingDx;
    private int _pendingDy;

    public bool ReportingEnabled { get; private set; }

    public byte SampleRate { get; private set; } = DefaultSampleRate;

    public byte Resolution { get; private set; } = DefaultResolution;

    internal bool HasOutput => _output.Count > 0;

    /// <summary>Power-on: stream mode, reporting off, default rate and resolution, nothing queued or accumulated.</summary>
    internal void Reset()
    {
        _output.Clear();
        _awaitingArgument = null;
        _buttons = MouseButtons.None;
        SetDefaults();
    }

    internal byte TakeOutput() => _output.Dequeue();

    /// <summary>Host movement: <paramref name="dx"/> right, <paramref name="dy"/> up, with the buttons now held.</summary>
    public void Move(int dx, int dy, MouseButtons buttons)
    {
        _buttons = buttons;
        _pendingDx += dx;
        _pendingDy += dy;
        if (ReportingEnabled && !_remoteMode)
        {
            SendPacket();
        }
    }

    /// <summary>A byte the host sent with the 8042's "write to auxiliary device" command.</summary>
    internal void Receive(byte value)
    {
        if (_awaitingArgument is { } command)
        {
            _awaitingArgument = null;
            if (command == Ps2MouseCommand.SetSampleRate)
            {
                SampleRate = value;
            }
            else
            {
                Resolution = value;
            }

            _output.Enqueue(Acknowledge);
            return;
        }

        switch ((Ps2MouseCommand)value)
        {
            case Ps2MouseCommand.SetSampleRate:
            case Ps2MouseCommand.SetResolution:
                _awaitingArgument = (Ps2MouseCommand)value;
                _output.Enqueue(Acknowledge);
                break;
            case Ps2MouseCommand.Reset:
                SetDefaults();
                _output.Clear();
                _output.Enqueue(Acknowledge);
                _output.Enqueue(SelfTestPassed);
                _output.Enqueue(StandardMouseId);
                break;
            case Ps2MouseCommand.GetDeviceId:
                _output.Enqueue(Acknowledge);
                _output.Enqueue(StandardMouseId);
                break;
            case Ps2MouseCommand.StatusRequest:
                _output.Enqueue(Acknowledge);
                _output.Enqueue(Status());
                _output.Enqueue(Resolution);
                _output.Enqueue(SampleRate);
                break;
            case Ps2MouseCommand.ReadData:
                _output.Enqueue(Acknowledge);
                SendPacket();
                break;
            case Ps2MouseCommand.EnableReporting:
                ReportingEnabled = true;
                _output.Enqueue(Acknowledge);
                break;
            case Ps2MouseCommand.DisableReporting:
                ReportingEnabled = false;
                _output.Enqueue(Acknowledge);
                break;
            case Ps2MouseCommand.SetDefaults:
                SetDefaults();
                _output.Enqueue(Acknowledge);
                break;
            case Ps2MouseCommand.SetRemoteMode:
                _remoteMode = true;
                _output.Enqueue(Acknowledge);
                break;
            case Ps2MouseCommand.SetStreamMode:
                _remoteMode = false;
                _output.Enqueue(Acknowledge);
                break;
            case Ps2MouseCommand.SetScaling1To1:
                _scaling2To1 = false;
                _output.Enqueue(Acknowledge);
                break;
            case Ps2MouseCommand.SetScaling2To1:
                _scaling2To1 = true;
                _output.Enqueue(Acknowledge);
                break;
            case Ps2MouseCommand.SetWrapMode:
            case Ps2MouseCommand.ResetWrapMode:
            case Ps2MouseCommand.Resend:
                _output.Enqueue(Acknowledge);
                break;
            default:
                _output.Enqueue(Resend);
                break;
        }
    }

    private void SetDefaults()
    {
        ReportingEnabled = false;
        _remoteMode = false;
        _scaling2To1 = false;
        SampleRate = DefaultSampleRate;
        Resolution = DefaultResolution;
        _pendingDx = 0;
        _pendingDy = 0;
    }

    private byte Status() => (byte)((byte)_buttons
        | (_remoteMode ? StatusRemoteMode : 0)
        | (ReportingEnabled ? StatusReportingEnabled : 0)
        | (_scaling2To1 ? StatusScaling2To1 : 0));

    private void SendPacket()
    {
        var dx = Math.Clamp(_pendingDx, MinimumDelta, MaximumDelta);
        var dy = Math.Clamp(_pendingDy, MinimumDelta, MaximumDelta);
        var first = (byte)(PacketAlwaysOne | (byte)_buttons);
        if (dx < 0)
        {
            first |= PacketXSign;
        }

        if (dy < 0)
        {
            first |= PacketYSign;
        }

        if (dx != _pendingDx)
        {
            first |= PacketXOverflow;
        }

        if (dy != _pendingDy)
        {
            first |= PacketYOverflow;
        }

        _output.Enqueue(first);
        _output.Enqueue((byte)dx);
        _output.Enqueue((byte)dy);
        _pendingDx = 0;
        _pendingDy = 0;
    }
}
