using Emulator.Machine.Memory;

namespace Emulator.Machine.Dma;

/// <summary>
/// One Intel 8237A DMA controller (datasheet 231466): four channels' base/current address and
/// count registers behind the byte-pointer flip-flop, command, mode, request, single and
/// all-channel mask registers, the status register (TC bits 0-3 cleared on read, request bits 4-7)
/// and master clear. Port decoding is done by <see cref="IsaDma"/>.
/// Limitations: memory-to-memory transfers, priority rotation and the demand/block/cascade
/// timing distinctions are not modelled (devices move data when they call the channel); masking
/// channel 4 does not block the first controller's channels.
/// </summary>
public sealed class Dma8237
{
    private const int Channels = 4;
    private const byte ChannelBits = 0x0F;
    private const byte SingleMaskSet = 0x04;
    private const byte ChannelSelect = 0x03;
    private const int RequestShift = 4;
    private const int ByteBits = 8;

    private readonly DmaChannel[] _channels = new DmaChannel[Channels];
    private bool _highByteNext;
    private byte _mask = ChannelBits;
    private byte _terminalCounts;
    private byte _softwareRequests;
    private byte _deviceRequests;

    internal Dma8237(IDmaMemory memory, int firstChannel, bool sixteenBit)
    {
        for (var i = 0; i < Channels; i++)
        {
            _channels[i] = new DmaChannel(memory, this, firstChannel + i, i, sixteenBit);
        }
    }

    internal DmaCommand Command { get; private set; }

    /// <summary>
    /// False while the guest has set the command register's controller-disable bit: no channel of this chip
    /// transfers.
    /// </summary>
    public bool Enabled => (Command & DmaCommand.ControllerDisable) == 0;

    /// <summary>Mask bits 0-3, one per channel (set = masked).</summary>
    public byte MaskBits => _mask;

    internal DmaChannel this[int index] => _channels[index];

    internal bool IsMasked(int channel) => (_mask & (1 << channel)) != 0;

    internal void Mask(int channel) => _mask |= (byte)(1 << channel);

    internal void SetTerminalCount(int channel)
    {
        _terminalCounts |= (byte)(1 << channel);
        _softwareRequests &= (byte)~(1 << channel);
    }

    internal void SetDeviceRequest(int channel, bool active) =>
        _deviceRequests = active ? (byte)(_deviceRequests | (1 << channel)) : (byte)(_deviceRequests & ~(1 << channel));

    internal byte Read(int register)
    {
        if (register <= (int)DmaRegister.ChannelRegistersEnd)
        {
            var channel = _channels[register >> 1];
            var value = (register & 1) == 0 ? channel.CurrentAddress : channel.CurrentCount;
            return NextByte(value);
        }

        switch ((DmaRegister)register)
        {
            case DmaRegister.CommandStatus:
                var status = (byte)(_terminalCounts | ((_deviceRequests | _softwareRequests) << RequestShift));
                _terminalCounts = 0;
                return status;
            case DmaRegister.AllMask:
                return (byte)(_mask | ~ChannelBits);
            default:
                return 0;
        }
    }

    internal void Write(int register, byte value)
    {
        if (register <= (int)DmaRegister.ChannelRegistersEnd)
        {
            WriteChannelRegister(_channels[register >> 1], (register & 1) != 0, value);
            return;
        }

        var channel = value & ChannelSelect;
        switch ((DmaRegister)register)
        {
            case DmaRegister.CommandStatus:
                Command = (DmaCommand)value;
                break;
            case DmaRegister.Request:
                _softwareRequests = (value & SingleMaskSet) != 0
                    ? (byte)(_softwareRequests | (1 << channel))
                    : (byte)(_softwareRequests & ~(1 << channel));
                break;
            case DmaRegister.SingleMask:
                _mask = (value & SingleMaskSet) != 0 ? (byte)(_mask | (1 << channel)) : (byte)(_mask & ~(1 << channel));
                break;
            case DmaRegister.Mode:
                _channels[channel].Mode = (DmaMode)value;
                break;
            case DmaRegister.ClearFlipFlop:
                _highByteNext = false;
                break;
            case DmaRegister.MasterClearTemporary:
                MasterClear();
                break;
            case DmaRegister.ClearMask:
                _mask = 0;
                break;
            default:
                _mask = (byte)(value & ChannelBits);
                break;
        }
    }

    private void WriteChannelRegister(DmaChannel channel, bool count, byte value)
    {
        var high = _highByteNext;
        _highByteNext = !_highByteNext;
        var shift = high ? ByteBits : 0;
        var keep = high ? (ushort)byte.MaxValue : unchecked((ushort)~byte.MaxValue);

        // Writing the base register also loads the current register (datasheet, "Base Address and Base Word Count Registers").
        if (count)
        {
            channel.BaseCount = (ushort)((channel.BaseCount & keep) | (value << shift));
            channel.CurrentCount = channel.BaseCount;
        }
        else
        {
            channel.BaseAddress = (ushort)((channel.BaseAddress & keep) | (value << shift));
            channel.CurrentAddress = channel.BaseAddress;
        }

        channel.Reprogrammed();
    }

    private byte NextByte(ushort value)
    {
        var high = _highByteNext;
        _highByteNext = !_highByteNext;
        return (byte)(high ? value >> ByteBits : value);
    }

    /// <summary>Master clear (what the RESET pin does): command cleared, flip-flop, status and requests cleared, all channels masked.</summary>
    internal void MasterClear()
    {
        Command = DmaCommand.None;
        _terminalCounts = 0;
        _softwareRequests = 0;
        _highByteNext = false;
        _mask = ChannelBits;
        foreach (var channel in _channels)
        {
            channel.Reset();
        }
    }
}
