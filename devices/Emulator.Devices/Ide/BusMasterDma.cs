using System.Buffers.Binary;
using Emulator.Machine.Memory;

namespace Emulator.Devices.Ide;

/// <summary>
/// One channel's bus-master IDE engine of the PIIX3 (datasheet 290550, section 2.7; SFF-8038i): the
/// command, status and descriptor-table pointer registers, and the walk over the physical region
/// descriptor (PRD) table in guest memory. A PRD is 8 bytes: buffer address, byte count in bits
/// 15:0 (bit 0 ignored, 0 meaning 64 KiB) and end-of-table in bit 31.
/// <para>
/// Hostile tables are bounded: at most one 4 KiB page of descriptors is read (QEMU's fail-safe), a
/// table that cannot be read from RAM ends the walk, and a buffer outside RAM drops the bytes of
/// that region (writes) or supplies 0xFF (reads), as unassigned memory does, without stopping.
/// Memory is reached only through <see cref="IDmaMemory"/>, which refuses anything outside RAM.
/// </para>
/// Limitations: the 64 KiB boundary rule is not enforced, and bus-master enable in the PCI command
/// register is not checked (QEMU does neither).
/// </summary>
internal sealed class BusMasterDma
{
    /// <summary>Register offsets inside the channel's 8-byte window.</summary>
    public const int CommandOffset = 0;
    public const int StatusOffset = 2;
    public const int PrdTableOffset = 4;
    public const int RegisterBytes = 8;

    private const int PrdEntryBytes = 8;
    private const int MaxTableBytes = 4096;
    private const uint PrdAddressMask = ~3u;
    private const uint EndOfTable = 0x8000_0000;
    private const int ByteCountMask = 0xFFFE;
    private const int ZeroCountMeans = 0x1_0000;
    private const byte FloatingBus = 0xFF;
    private const int ByteBits = 8;

    private readonly IDmaMemory _memory;
    private readonly byte[] _entry = new byte[PrdEntryBytes];
    private BusMasterCommand _command;
    private BusMasterStatus _status;
    private uint _prdTable;

    // The cursor over the table while a transfer runs.
    private uint _nextEntry;
    private ulong _regionAddress;
    private int _regionLeft;
    private bool _regionLast;

    public BusMasterDma(IDmaMemory memory)
    {
        _memory = memory ?? throw new ArgumentNullException(nameof(memory));
    }

    /// <summary>Raised when the guest sets START (true) or clears it (false).</summary>
    public event Action<bool>? StartChanged;

    public bool IsActive => (_status & BusMasterStatus.Active) != 0;

    public BusMasterStatus Status => _status;

    public BusMasterCommand Command => _command;

    public byte ReadRegister(int offset) => offset switch
    {
        CommandOffset => (byte)_command,
        StatusOffset => (byte)_status,
        >= PrdTableOffset and < RegisterBytes => (byte)(_prdTable >> (ByteBits * (offset - PrdTableOffset))),
        _ => FloatingBus,
    };

    public void WriteRegister(int offset, byte value)
    {
        switch (offset)
        {
            case CommandOffset:
                WriteCommand((BusMasterCommand)value);
                break;
            case StatusOffset:
                var written = (BusMasterStatus)value;
                _status = (written & BusMasterStatus.DmaCapable)
                          | (_status & BusMasterStatus.Active)
                          | (_status & ~written & BusMasterStatus.WriteOneToClear);
                break;
            case >= PrdTableOffset and < RegisterBytes:
                var shift = ByteBits * (offset - PrdTableOffset);
                _prdTable = ((_prdTable & ~(0xFFu << shift)) | ((uint)value << shift)) & PrdAddressMask;
                break;
        }
    }

    /// <summary>Every IDE interrupt the channel raises is latched here (QEMU's bmdma IRQ wrapper).</summary>
    public void LatchInterrupt() => _status |= BusMasterStatus.Interrupt;

    /// <summary>Ends a transfer: ACTIVE clears unless the table described more than the command moved.</summary>
    public void SetInactive(bool stayActive)
    {
        if (!stayActive)
        {
            _status &= ~BusMasterStatus.Active;
        }
    }

    /// <summary>Machine or bus reset: all registers zero.</summary>
    public void Reset()
    {
        _command = BusMasterCommand.None;
        _status = BusMasterStatus.None;
        _prdTable = 0;
        Rewind();
    }

    /// <summary>
    /// Rewinds to the table start and counts the bytes the whole table describes, up to its end
    /// marker or the one-page fail-safe. As QEMU's bmdma_prepare_buf does, the walk does not stop
    /// once a transfer is covered: descriptors past it still count, so the caller can tell that the
    /// table was longer than the command (ACTIVE then stays set).
    /// </summary>
    public long Describe()
    {
        Rewind();
        long described = 0;
        while (LoadNextRegion())
        {
            described += _regionLeft;
        }

        Rewind();
        return described;
    }

    /// <summary>Copies <paramref name="data"/> to the guest regions at the cursor; returns the bytes the table took.</summary>
    public int WriteToGuest(ReadOnlySpan<byte> data)
    {
        var done = 0;
        while (done < data.Length && (_regionLeft > 0 || LoadNextRegion()))
        {
            var n = Math.Min(_regionLeft, data.Length - done);

            // A region outside RAM swallows its bytes, as a write to unassigned memory does.
            _ = _memory.TryWrite(_regionAddress, data.Slice(done, n));
            Advance(n);
            done += n;
        }

        return done;
    }

    /// <summary>Fills <paramref name="data"/> from the guest regions at the cursor; returns the bytes the table gave.</summary>
    public int ReadFromGuest(Span<byte> data)
    {
        var done = 0;
        while (done < data.Length && (_regionLeft > 0 || LoadNextRegion()))
        {
            var n = Math.Min(_regionLeft, data.Length - done);
            var part = data.Slice(done, n);
            if (!_memory.TryRead(_regionAddress, part))
            {
                part.Fill(FloatingBus);
            }

            Advance(n);
            done += n;
        }

        return done;
    }

    /// <summary>
    /// Maps up to <paramref name="maxBytes"/> of guest RAM at the cursor, running on through
    /// descriptors that continue exactly where the previous one ended, so block I/O can fill or drain
    /// the guest buffer in place. Returns the mapped length (0 when the region at the cursor is not
    /// RAM or the table has ended); the cursor does not move until <see cref="Skip"/>.
    /// </summary>
    public int TryMapContiguous(int maxBytes, out Memory<byte> ram, out ulong address)
    {
        ram = Memory<byte>.Empty;
        address = 0;
        if (_regionLeft == 0 && !LoadNextRegion())
        {
            return 0;
        }

        var (next, at, left, last) = (_nextEntry, _regionAddress, _regionLeft, _regionLast);
        var start = _regionAddress;
        var length = 0;
        while (true)
        {
            var take = Math.Min(_regionLeft, maxBytes - length);
            length += take;
            var end = _regionAddress + (uint)_regionLeft;
            if (take < _regionLeft || length >= maxBytes || !LoadNextRegion() || _regionAddress != end)
            {
                break;
            }
        }

        (_nextEntry, _regionAddress, _regionLeft, _regionLast) = (next, at, left, last);
        if (!_memory.TryGetRam(start, length, out ram))
        {
            return 0;
        }

        address = start;
        return length;
    }

    /// <summary>Moves the cursor over <paramref name="bytes"/> that were transferred in place.</summary>
    public void Skip(int bytes)
    {
        while (bytes > 0 && (_regionLeft > 0 || LoadNextRegion()))
        {
            var n = Math.Min(_regionLeft, bytes);
            Advance(n);
            bytes -= n;
        }
    }

    /// <summary>Block I/O wrote a mapped guest range: decoded code there is stale.</summary>
    public void NotifyWritten(ulong address, int length) => _memory.NotifyDirectWrite(address, length);

    private void WriteCommand(BusMasterCommand value)
    {
        var wasStarted = (_command & BusMasterCommand.Start) != 0;
        var start = (value & BusMasterCommand.Start) != 0;
        _command = value & BusMasterCommand.Readable;
        if (start == wasStarted)
        {
            // Writing the same START value changes nothing (only the direction bit is stored).
            return;
        }

        if (start)
        {
            Rewind();
            if (!IsActive)
            {
                _status |= BusMasterStatus.Active;
                StartChanged?.Invoke(true);
            }
        }
        else
        {
            StartChanged?.Invoke(false);
            _status &= ~BusMasterStatus.Active;
        }
    }

    private void Rewind()
    {
        _nextEntry = _prdTable;
        _regionLeft = 0;
        _regionLast = false;
        _regionAddress = 0;
    }

    private void Advance(int n)
    {
        _regionAddress += (uint)n;
        _regionLeft -= n;
    }

    /// <summary>Loads the next descriptor; false at the end of the table, past one page of it, or when it cannot be read.</summary>
    private bool LoadNextRegion()
    {
        if (_regionLast || _nextEntry - _prdTable >= MaxTableBytes || !_memory.TryRead(_nextEntry, _entry))
        {
            return false;
        }

        _nextEntry += PrdEntryBytes;
        _regionAddress = BinaryPrimitives.ReadUInt32LittleEndian(_entry);
        var control = BinaryPrimitives.ReadUInt32LittleEndian(_entry.AsSpan(sizeof(uint)));
        var count = (int)(control & ByteCountMask);
        _regionLeft = count == 0 ? ZeroCountMeans : count;
        _regionLast = (control & EndOfTable) != 0;
        return true;
    }
}
