using Emulator.Machine.Memory;

namespace Emulator.Machine.Dma;

/// <summary>
/// One ISA DMA channel as a device sees it (the floppy controller uses channel 2): the registers
/// the guest programmed through <see cref="IsaDma"/> plus the transfer engine. A device moves data
/// with <see cref="Transfer"/> (direction from the programmed mode), or with
/// <see cref="WriteToMemory"/>/<see cref="ReadFromMemory"/> when it knows its direction; each
/// moves at most the remaining count, honours the page registers, address increment or decrement
/// (with the 64 KiB / 128 KiB wrap inside the page that the 8237 has) and auto-initialisation, and
/// returns the bytes moved. When the count runs out the channel sets TC in the status register,
/// masks itself (unless auto-initialising) and reports <see cref="TerminalCountReached"/>, so a
/// device sees a transfer that ended early.
/// Channels 4-7 are 16-bit: addresses and counts are in words and the page register's bit 0 is ignored.
/// </summary>
public sealed class DmaChannel
{
    private const int AddressSpace = 0x10000;
    private const int PageShift = 16;
    private const int HighPageShift = 24;
    private const byte WordPageMask = 0xFE;
    private const int WordAddressShift = 1;
    private const byte UnreadableMemory = 0xFF;

    private readonly IDmaMemory _memory;
    private readonly Dma8237 _controller;
    private readonly int _localIndex;

    internal DmaChannel(IDmaMemory memory, Dma8237 controller, int number, int localIndex, bool sixteenBit)
    {
        _memory = memory;
        _controller = controller;
        Number = number;
        _localIndex = localIndex;
        IsSixteenBit = sixteenBit;
    }

    /// <summary>Channel number 0-7.</summary>
    public int Number { get; }

    /// <summary>True for channels 4-7: addresses and counts are in 16-bit words and page bit 0 is ignored.</summary>
    public bool IsSixteenBit { get; }

    /// <summary>
    /// The base address register the guest programmed (reloaded into <see cref="CurrentAddress"/> by
    /// auto-initialisation).
    /// </summary>
    public ushort BaseAddress { get; internal set; }

    /// <summary>
    /// The address the next byte (or word) moves to or from, within the 64 KiB (128 KiB for 16-bit channels) page.
    /// </summary>
    public ushort CurrentAddress { get; internal set; }

    /// <summary>The base count register: transfers minus one, as the guest programmed it.</summary>
    public ushort BaseCount { get; internal set; }

    /// <summary>Transfers left minus one; it wraps to 0xFFFF when the last transfer is done (terminal count).</summary>
    public ushort CurrentCount { get; internal set; }

    /// <summary>The mode register the guest last wrote for this channel.</summary>
    public DmaMode Mode { get; internal set; }

    /// <summary>The 74LS612 page register: address bits 23-16.</summary>
    public byte Page { get; internal set; }

    /// <summary>The EISA/PIIX high page register: address bits 31-24 (cleared by a write to the low page register).</summary>
    public byte HighPage { get; internal set; }

    /// <summary>The direction field of <see cref="Mode"/>.</summary>
    public DmaTransferType TransferType => (DmaTransferType)(Mode & DmaMode.TransferTypeMask);

    /// <summary>
    /// True when the channel reloads its base address and count at terminal count instead of masking itself.
    /// </summary>
    public bool AutoInitialize => (Mode & DmaMode.AutoInitialize) != 0;

    /// <summary>True when the address counts down.</summary>
    public bool Decrement => (Mode & DmaMode.AddressDecrement) != 0;

    /// <summary>True while the channel's mask bit is set; a masked channel moves nothing.</summary>
    public bool IsMasked => _controller.IsMasked(_localIndex);

    /// <summary>True when a transfer can run now: the channel is unmasked and its controller enabled.</summary>
    public bool IsReady => !IsMasked && _controller.Enabled;

    /// <summary>Bytes left before terminal count.</summary>
    public int RemainingBytes => (CurrentCount + 1) * UnitSize;

    /// <summary>True when the last transfer on this channel ran the count out.</summary>
    public bool TerminalCountReached { get; private set; }

    private int UnitSize => IsSixteenBit ? 2 : 1;

    /// <summary>The guest physical address of the current position.</summary>
    public ulong CurrentPhysicalAddress => PhysicalAddress(CurrentAddress);

    /// <summary>Drives the channel's DREQ line (visible in the status register's request bits).</summary>
    public void SetRequest(bool active) => _controller.SetDeviceRequest(_localIndex, active);

    /// <summary>
    /// Moves data as the mode register says: a write transfer copies <paramref name="deviceBuffer"/> into
    /// memory, a read transfer fills it from memory, verify only counts. Returns the bytes moved.
    /// </summary>
    public int Transfer(Span<byte> deviceBuffer) => TransferType switch
    {
        DmaTransferType.Write => Move(deviceBuffer, [], deviceBuffer.Length, toMemory: true),
        DmaTransferType.Read => Move([], deviceBuffer, deviceBuffer.Length, toMemory: false),
        DmaTransferType.Verify => Move([], [], deviceBuffer.Length, toMemory: null),
        _ => 0,
    };

    /// <summary>Device → memory. Refused (0) unless the channel is programmed for a write or verify transfer.</summary>
    public int WriteToMemory(ReadOnlySpan<byte> data) => TransferType switch
    {
        DmaTransferType.Write => Move(data, [], data.Length, toMemory: true),
        DmaTransferType.Verify => Move([], [], data.Length, toMemory: null),
        _ => 0,
    };

    /// <summary>Memory → device. Refused (0) unless the channel is programmed for a read or verify transfer.</summary>
    public int ReadFromMemory(Span<byte> destination) => TransferType switch
    {
        DmaTransferType.Read => Move([], destination, destination.Length, toMemory: false),
        DmaTransferType.Verify => Move([], [], destination.Length, toMemory: null),
        _ => 0,
    };

    internal void Reset()
    {
        Mode = DmaMode.None;
        TerminalCountReached = false;
    }

    internal void Reprogrammed() => TerminalCountReached = false;

    /// <param name="source">Device data for a transfer to memory.</param>
    /// <param name="destination">Device buffer for a transfer from memory.</param>
    /// <param name="length">Bytes the device offers or wants.</param>
    /// <param name="toMemory">Direction; null for verify (no memory cycle).</param>
    private int Move(ReadOnlySpan<byte> source, Span<byte> destination, int length, bool? toMemory)
    {
        TerminalCountReached = false;
        if (!IsReady)
        {
            return 0;
        }

        var remaining = CurrentCount + 1;
        var units = Math.Min(length / UnitSize, remaining);
        var done = 0;
        while (done < units)
        {
            var chunk = Decrement ? 1 : Math.Min(units - done, AddressSpace - CurrentAddress);
            var offset = done * UnitSize;
            var bytes = chunk * UnitSize;
            var address = PhysicalAddress(CurrentAddress);
            if (toMemory == true)
            {
                // A write to an address outside RAM is lost, as on the bus; the transfer still counts.
                _memory.TryWrite(address, source.Slice(offset, bytes));
            }
            else if (toMemory == false && !_memory.TryRead(address, destination.Slice(offset, bytes)))
            {
                destination.Slice(offset, bytes).Fill(UnreadableMemory);
            }

            CurrentAddress = (ushort)(Decrement ? CurrentAddress - chunk : CurrentAddress + chunk);
            done += chunk;
        }

        if (units == remaining)
        {
            CurrentCount = ushort.MaxValue;
            ReachTerminalCount();
        }
        else
        {
            CurrentCount = (ushort)(CurrentCount - units);
        }

        return units * UnitSize;
    }

    private void ReachTerminalCount()
    {
        TerminalCountReached = true;
        _controller.SetTerminalCount(_localIndex);
        if (AutoInitialize)
        {
            CurrentAddress = BaseAddress;
            CurrentCount = BaseCount;
        }
        else
        {
            _controller.Mask(_localIndex);
        }
    }

    private ulong PhysicalAddress(ushort address)
    {
        var high = (ulong)HighPage << HighPageShift;
        return IsSixteenBit
            ? high | ((ulong)(Page & WordPageMask) << PageShift) | ((ulong)address << WordAddressShift)
            : high | ((ulong)Page << PageShift) | address;
    }
}
