using System.Buffers.Binary;
using System.Diagnostics;

namespace Emulator.Testing.Qos;

/// <summary>
/// The ATA/ATAPI side of libqos and QEMU's ide-test for the PIIX3 IDE function (8086:7010): task file access,
/// IDENTIFY, LBA28 commands, bus-master DMA with PRD tables written to guest memory from a
/// <see cref="GuestAllocator"/>, and ATAPI PACKET commands in PIO. The channel's IRQ is observed through the
/// intercepted I/O APIC input (14 or 15). Waiting polls the alternate status or the bus master status
/// (which acknowledge nothing) for up to <see cref="Patience"/> of host time: a disk completion comes from an
/// I/O thread.
/// </summary>
public sealed class AtaChannel
{
    /// <summary>The PIIX3 IDE function's vendor id (Intel).</summary>
    public const ushort Piix3VendorId = 0x8086;

    /// <summary>The PIIX3 IDE function's device id.</summary>
    public const ushort Piix3IdeDeviceId = 0x7010;

    /// <summary>The BAR of the bus master registers (PIIX3 datasheet 2.3.9).</summary>
    public const int BusMasterBar = 4;

    /// <summary>Task file offsets from the command block (ATA/ATAPI-6 7.1): data.</summary>
    public const int DataRegister = 0;

    /// <summary>Error (read) / Features (write).</summary>
    public const int ErrorFeatures = 1;

    /// <summary>Sector count.</summary>
    public const int SectorCount = 2;

    /// <summary>LBA low (sector number).</summary>
    public const int LbaLow = 3;

    /// <summary>LBA mid (cylinder low); the byte count low of a PACKET command.</summary>
    public const int LbaMid = 4;

    /// <summary>LBA high (cylinder high); the byte count high of a PACKET command.</summary>
    public const int LbaHigh = 5;

    /// <summary>Device (drive/head).</summary>
    public const int Device = 6;

    /// <summary>Status (read) / Command (write).</summary>
    public const int StatusCommand = 7;

    /// <summary>Status bits: ERR, an error is in the error register.</summary>
    public const byte Err = 0x01;

    /// <summary>DRQ: the device is ready for a data transfer.</summary>
    public const byte Drq = 0x08;

    /// <summary>DSC: seek complete (obsolete, still set by QEMU).</summary>
    public const byte Dsc = 0x10;

    /// <summary>DRDY: the device accepts commands.</summary>
    public const byte Drdy = 0x40;

    /// <summary>BSY: the device owns the task file.</summary>
    public const byte Bsy = 0x80;

    /// <summary>READ DMA (ATA/ATAPI-6 8.23): 28-bit LBA.</summary>
    public const byte ReadDmaCommand = 0xC8;

    /// <summary>WRITE DMA (8.45): 28-bit LBA.</summary>
    public const byte WriteDmaCommand = 0xCA;

    /// <summary>READ SECTORS EXT (8.28): PIO, 48-bit LBA.</summary>
    public const byte ReadSectorsExtCommand = 0x24;

    /// <summary>READ DMA EXT (8.24): 48-bit LBA.</summary>
    public const byte ReadDmaExtCommand = 0x25;

    /// <summary>WRITE SECTORS EXT (8.63): PIO, 48-bit LBA.</summary>
    public const byte WriteSectorsExtCommand = 0x34;

    /// <summary>WRITE DMA EXT (8.46): 48-bit LBA.</summary>
    public const byte WriteDmaExtCommand = 0x35;

    /// <summary>IDENTIFY DEVICE.</summary>
    public const byte IdentifyDeviceCommand = 0xEC;

    /// <summary>IDENTIFY PACKET DEVICE.</summary>
    public const byte IdentifyPacketDeviceCommand = 0xA1;

    /// <summary>PACKET: an ATAPI command block follows.</summary>
    public const byte PacketCommand = 0xA0;

    /// <summary>The largest sector count of one LBA48 command (a count of 0 in the task file).</summary>
    public const int MaxLba48Sectors = 65536;

    /// <summary>The first LBA past 48 bits.</summary>
    public const long Lba48Limit = 1L << 48;

    /// <summary>Bus master registers from the channel's base (SFF-8038i): command.</summary>
    public const int BmCommand = 0;

    /// <summary>Bus master status.</summary>
    public const int BmStatus = 2;

    /// <summary>The PRD table's address.</summary>
    public const int BmPrdTable = 4;

    /// <summary>Bus master command: start/stop.</summary>
    public const byte BmStart = 0x01;

    /// <summary>Bus master command: direction, set for device to memory.</summary>
    public const byte BmToMemory = 0x08;

    /// <summary>Bus master status: the engine is active.</summary>
    public const byte BmActive = 0x01;

    /// <summary>Bus master status: a transfer error (write 1 to clear).</summary>
    public const byte BmError = 0x02;

    /// <summary>Bus master status: the device raised INTRQ (write 1 to clear).</summary>
    public const byte BmInterrupt = 0x04;

    /// <summary>Bytes in a sector.</summary>
    public const int SectorSize = 512;

    /// <summary>Words of IDENTIFY data.</summary>
    public const int IdentifyWords = 256;

    private const ushort PrimaryCommandBlock = 0x1F0;
    private const ushort PrimaryControl = 0x3F6;
    private const ushort SecondaryCommandBlock = 0x170;
    private const ushort SecondaryControl = 0x376;
    private const int PrimaryIrq = 14;
    private const int SecondaryIrq = 15;
    private const int SecondaryBusMasterOffset = 8;
    private const byte DeviceLba = 0x40;
    private const byte DeviceObsolete = 0xA0;
    private const byte UnitBit = 0x10;
    private const int LbaHighNibbleShift = 24;
    private const int PacketBytes = 12;
    private const byte PacketDmaFeature = 0x01;

    private readonly IQtest _qtest;
    private readonly GuestAllocator _allocator;
    private readonly ushort _commandBlock;
    private readonly ushort _control;
    private readonly ulong _busMaster;
    private readonly PciBar _bar;
    private int _unit;

    private AtaChannel(IQtest qtest, GuestAllocator allocator, PciBar busMasterBar, bool secondary)
    {
        _qtest = qtest;
        _allocator = allocator;
        _bar = busMasterBar;
        _commandBlock = secondary ? SecondaryCommandBlock : PrimaryCommandBlock;
        _control = secondary ? SecondaryControl : PrimaryControl;
        _busMaster = secondary ? SecondaryBusMasterOffset : 0UL;
        Irq = secondary ? SecondaryIrq : PrimaryIrq;
    }

    /// <summary>The channel's ISA IRQ (14 primary, 15 secondary).</summary>
    public int Irq { get; }

    /// <summary>How long a wait may take in host time before it is a <see cref="TimeoutException"/>.</summary>
    public TimeSpan Patience { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Finds the PIIX3 IDE function, maps its bus master BAR (BAR4), enables I/O decoding and bus mastering and
    /// intercepts the I/O APIC's inputs, as ide-test's setup does.
    /// </summary>
    public static AtaChannel Open(PciBus bus, GuestAllocator allocator, bool secondary = false)
    {
        ArgumentNullException.ThrowIfNull(bus);
        ArgumentNullException.ThrowIfNull(allocator);
        var ide = bus.Find(Piix3VendorId, Piix3IdeDeviceId) ?? throw new InvalidOperationException("no PIIX3 IDE function on bus 0");
        var bar = ide.MapBar(BusMasterBar);
        ide.Enable();
        bus.Qtest.InterceptIrqIn("ioapic");
        return new AtaChannel(bus.Qtest, allocator, bar, secondary);
    }

    /// <summary>Reads task file register <paramref name="offset"/> (<see cref="DataRegister"/>…<see cref="StatusCommand"/>).</summary>
    public byte ReadRegister(int offset) => _qtest.InB((ushort)(_commandBlock + offset));

    /// <summary>Writes task file register <paramref name="offset"/>.</summary>
    public void WriteRegister(int offset, byte value) => _qtest.OutB((ushort)(_commandBlock + offset), value);

    /// <summary>The status register: reading it acknowledges INTRQ.</summary>
    public byte Status() => ReadRegister(StatusCommand);

    /// <summary>The alternate status register: the same bits, acknowledging nothing.</summary>
    public byte AltStatus() => _qtest.InB(_control);

    /// <summary>The channel's bus master status register.</summary>
    public byte BusMasterStatus() => _bar.ReadB(_busMaster + BmStatus);

    /// <summary>Selects device <paramref name="unit"/> (0 master, 1 slave) for the commands that follow.</summary>
    public void Select(int unit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(unit);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(unit, 1);
        _unit = unit;
        WriteRegister(Device, (byte)(DeviceObsolete | (unit == 1 ? UnitBit : 0)));
    }

    /// <summary>IDENTIFY DEVICE (or IDENTIFY PACKET DEVICE) in PIO: the 256 words.</summary>
    public ushort[] Identify(bool packetDevice = false)
    {
        WriteRegister(StatusCommand, packetDevice ? IdentifyPacketDeviceCommand : IdentifyDeviceCommand);
        WaitFor(s => (s & (Bsy | Drq)) == Drq || (s & (Bsy | Err)) == Err, "IDENTIFY data");
        var words = new ushort[IdentifyWords];
        for (var i = 0; i < words.Length; i++)
        {
            words[i] = _qtest.InW((ushort)(_commandBlock + DataRegister));
        }

        return words;
    }

    /// <summary>Writes the task file of an LBA28 command and the command itself.</summary>
    public void Lba28Command(byte command, long lba, int sectors, byte features = 0)
    {
        WriteRegister(ErrorFeatures, features);
        WriteRegister(SectorCount, (byte)sectors);
        WriteRegister(LbaLow, (byte)lba);
        WriteRegister(LbaMid, (byte)(lba >> 8));
        WriteRegister(LbaHigh, (byte)(lba >> 16));
        WriteRegister(Device, (byte)(DeviceObsolete | DeviceLba | (_unit == 1 ? UnitBit : 0) | (int)((lba >> LbaHighNibbleShift) & 0xF)));
        WriteRegister(StatusCommand, command);
    }

    /// <summary>
    /// Writes the task file of an LBA48 command and the command itself: each register takes its high-order
    /// ("previous") byte first, then the low one (ATA/ATAPI-6 6.20), the device register only LBA mode and the
    /// unit. <paramref name="sectors"/> is 1 to 65536 (written as 0).
    /// </summary>
    public void Lba48Command(byte command, long lba, int sectors, ushort features = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lba);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(lba, Lba48Limit);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sectors);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sectors, MaxLba48Sectors);
        var count = (ushort)sectors;
        WriteRegister(ErrorFeatures, (byte)(features >> 8));
        WriteRegister(ErrorFeatures, (byte)features);
        WriteRegister(SectorCount, (byte)(count >> 8));
        WriteRegister(SectorCount, (byte)count);
        WriteRegister(LbaLow, (byte)(lba >> 24));
        WriteRegister(LbaLow, (byte)lba);
        WriteRegister(LbaMid, (byte)(lba >> 32));
        WriteRegister(LbaMid, (byte)(lba >> 8));
        WriteRegister(LbaHigh, (byte)(lba >> 40));
        WriteRegister(LbaHigh, (byte)(lba >> 16));
        WriteRegister(Device, (byte)(DeviceObsolete | DeviceLba | (_unit == 1 ? UnitBit : 0)));
        WriteRegister(StatusCommand, command);
    }

    /// <summary>
    /// READ SECTORS EXT in PIO: <paramref name="sectors"/> at <paramref name="lba"/>, one DRQ block of 512 bytes
    /// per sector. Returns the data read before the device left the data phase (all of it on success, less on
    /// an error); the final status (reading it acknowledges INTRQ) is in <paramref name="status"/>.
    /// </summary>
    public byte[] ReadSectorsExt(long lba, int sectors, out byte status)
    {
        Lba48Command(ReadSectorsExtCommand, lba, sectors);
        var data = new byte[sectors * SectorSize];
        for (var sector = 0; sector < sectors; sector++)
        {
            if ((WaitFor(s => (s & Bsy) == 0, "READ SECTORS EXT data") & Drq) == 0)
            {
                status = Status();
                return data[..(sector * SectorSize)];
            }

            ReadDataBlock(data.AsSpan(sector * SectorSize, SectorSize));
        }

        status = FinalStatus("READ SECTORS EXT");
        return data;
    }

    /// <summary>
    /// WRITE SECTORS EXT in PIO: <paramref name="data"/> (whole sectors) at <paramref name="lba"/>, one DRQ block
    /// per sector. Returns the final status (reading it acknowledges INTRQ); an error ends the data phase early.
    /// </summary>
    public byte WriteSectorsExt(long lba, ReadOnlySpan<byte> data)
    {
        if (data.Length == 0 || data.Length % SectorSize != 0)
        {
            throw new ArgumentException($"a write is a whole number of {SectorSize}-byte sectors", nameof(data));
        }

        var sectors = data.Length / SectorSize;
        Lba48Command(WriteSectorsExtCommand, lba, sectors);
        for (var sector = 0; sector < sectors; sector++)
        {
            if ((WaitFor(s => (s & Bsy) == 0, "WRITE SECTORS EXT DRQ") & Drq) == 0)
            {
                return Status();
            }

            WriteDataBlock(data.Slice(sector * SectorSize, SectorSize));
        }

        return FinalStatus("WRITE SECTORS EXT");
    }

    /// <summary>READ DMA EXT of <paramref name="sectors"/> (up to 65536) at a 48-bit <paramref name="lba"/> into one region at <paramref name="buffer"/>.</summary>
    public AtaDmaResult ReadDmaExt(long lba, int sectors, uint buffer) =>
        Dma(ReadDmaExtCommand, lba, sectors, Prds(buffer, sectors), toMemory: true);

    /// <summary>WRITE DMA EXT of <paramref name="sectors"/> (up to 65536) at a 48-bit <paramref name="lba"/> from one region at <paramref name="buffer"/>.</summary>
    public AtaDmaResult WriteDmaExt(long lba, int sectors, uint buffer) =>
        Dma(WriteDmaExtCommand, lba, sectors, Prds(buffer, sectors), toMemory: false);

    /// <summary>Writes <paramref name="entries"/> as a PRD table into newly allocated guest memory; returns its address.</summary>
    public ulong WritePrdTable(IReadOnlyList<PrdEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var table = _allocator.Allocate((ulong)Math.Max(1, entries.Count) * PrdEntry.Size);
        var bytes = new byte[entries.Count * PrdEntry.Size];
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * PrdEntry.Size), entry.Address);
            var count = (uint)(entry.Length & (PrdEntry.MaxLength - 1)) | (entry.EndOfTable ? PrdEntry.EndOfTableBit : 0);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((i * PrdEntry.Size) + 4), count);
        }

        _qtest.Write(table, bytes);
        return table;
    }

    /// <summary>
    /// ide-test's send_dma_request: writes the PRD table, programs the bus master, issues <paramref name="command"/>
    /// (LBA48 for the EXT commands, <see cref="ReadDmaExtCommand"/> and <see cref="WriteDmaExtCommand"/>; LBA28 otherwise) and starts the engine, waits until it stops being active or raises INTR, stops it, and reads the
    /// outcome. The PRD table's memory is given back afterwards.
    /// </summary>
    public AtaDmaResult Dma(byte command, long lba, int sectors, IReadOnlyList<PrdEntry> prds, bool toMemory) =>
        BusMasterTransfer(prds, toMemory, () =>
        {
            if (command is ReadDmaExtCommand or WriteDmaExtCommand)
            {
                Lba48Command(command, lba, sectors);
            }
            else
            {
                Lba28Command(command, lba, sectors);
            }
        });

    /// <summary>READ DMA of <paramref name="sectors"/> at <paramref name="lba"/> into one region at <paramref name="buffer"/>.</summary>
    public AtaDmaResult ReadDma(long lba, int sectors, uint buffer) =>
        Dma(ReadDmaCommand, lba, sectors, [new PrdEntry(buffer, sectors * SectorSize, EndOfTable: true)], toMemory: true);

    /// <summary>WRITE DMA of <paramref name="sectors"/> at <paramref name="lba"/> from one region at <paramref name="buffer"/>.</summary>
    public AtaDmaResult WriteDma(long lba, int sectors, uint buffer) =>
        Dma(WriteDmaCommand, lba, sectors, [new PrdEntry(buffer, sectors * SectorSize, EndOfTable: true)], toMemory: false);

    /// <summary>
    /// An ATAPI PACKET command with PIO data in (ide-test's and cdrom-test's send_scsi_cdb_read10 path): the 12-byte
    /// <paramref name="cdb"/> written after DRQ, then each DRQ block read (its size from the byte count registers)
    /// until the device leaves the data phase. Returns the data; the final status is in <paramref name="status"/>.
    /// </summary>
    public byte[] PacketRead(ReadOnlySpan<byte> cdb, ushort byteCountLimit, out byte status)
    {
        RequirePacket(cdb);
        WriteRegister(ErrorFeatures, 0);
        WriteRegister(LbaMid, (byte)byteCountLimit);
        WriteRegister(LbaHigh, (byte)(byteCountLimit >> 8));
        WriteRegister(StatusCommand, PacketCommand);
        WritePacket(cdb);
        var data = new List<byte>();
        while (true)
        {
            var current = WaitFor(s => (s & Bsy) == 0, "the packet's data phase");
            if ((current & Drq) == 0)
            {
                status = Status();
                return [.. data];
            }

            var count = ReadRegister(LbaMid) | (ReadRegister(LbaHigh) << 8);

            // Whole words: an odd byte count still moves its last byte in a word of its own.
            var block = new byte[(count + 1) & ~1];
            ReadDataBlock(block);
            data.AddRange(block);

            Status();
        }
    }

    /// <summary>An ATAPI PACKET command with DMA data in through <paramref name="prds"/> (features bit 0), as ide-test's cdrom DMA cases.</summary>
    public AtaDmaResult PacketDma(ReadOnlySpan<byte> cdb, IReadOnlyList<PrdEntry> prds)
    {
        RequirePacket(cdb);
        var packet = cdb.ToArray();
        return BusMasterTransfer(prds, toMemory: true, () =>
        {
            WriteRegister(ErrorFeatures, PacketDmaFeature);
            WriteRegister(StatusCommand, PacketCommand);
            WritePacket(packet);
        });
    }

    /// <summary>The regions of <paramref name="sectors"/> sectors from <paramref name="buffer"/>: 64 KiB per PRD entry at most.</summary>
    private static PrdEntry[] Prds(uint buffer, int sectors)
    {
        var total = (long)sectors * SectorSize;
        var entries = new PrdEntry[(int)((total + PrdEntry.MaxLength - 1) / PrdEntry.MaxLength)];
        for (var i = 0; i < entries.Length; i++)
        {
            var offset = (long)i * PrdEntry.MaxLength;
            var length = (int)Math.Min(PrdEntry.MaxLength, total - offset);
            entries[i] = new PrdEntry((uint)(buffer + offset), length, EndOfTable: i == entries.Length - 1);
        }

        return entries;
    }

    private static void RequirePacket(ReadOnlySpan<byte> cdb)
    {
        if (cdb.Length != PacketBytes)
        {
            throw new ArgumentException($"an ATAPI packet is {PacketBytes} bytes", nameof(cdb));
        }
    }

    /// <summary>Waits for the PACKET command's DRQ, then sends the 12-byte <paramref name="cdb"/>.</summary>
    private void WritePacket(ReadOnlySpan<byte> cdb)
    {
        WaitFor(s => (s & (Bsy | Drq)) == Drq, "the packet's DRQ");
        WriteDataBlock(cdb);
    }

    /// <summary>
    /// ide-test's DMA request around <paramref name="issue"/>, which writes the command: the PRD table written, the
    /// bus master stopped and pointed at it with its interrupt and error bits cleared, then started in direction
    /// <paramref name="toMemory"/>, waited for and stopped again. The table's memory is given back afterwards.
    /// </summary>
    private AtaDmaResult BusMasterTransfer(IReadOnlyList<PrdEntry> prds, bool toMemory, Action issue)
    {
        var table = WritePrdTable(prds);
        try
        {
            _bar.WriteB(_busMaster + BmCommand, 0);
            _bar.WriteL(_busMaster + BmPrdTable, (uint)table);
            _bar.WriteB(_busMaster + BmStatus, BmInterrupt | BmError);
            issue();
            _bar.WriteB(_busMaster + BmCommand, (byte)(BmStart | (toMemory ? BmToMemory : 0)));
            var busMasterStatus = WaitForBusMaster();
            _bar.WriteB(_busMaster + BmCommand, 0);
            return Outcome(busMasterStatus);
        }
        finally
        {
            _allocator.Free(table);
        }
    }

    private void ReadDataBlock(Span<byte> block)
    {
        for (var i = 0; i < block.Length; i += 2)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(block[i..], _qtest.InW((ushort)(_commandBlock + DataRegister)));
        }
    }

    private void WriteDataBlock(ReadOnlySpan<byte> block)
    {
        for (var i = 0; i < block.Length; i += 2)
        {
            _qtest.OutW((ushort)(_commandBlock + DataRegister), BinaryPrimitives.ReadUInt16LittleEndian(block[i..]));
        }
    }

    /// <summary>After the last data block: waits for BSY and DRQ to clear, then reads (and so acknowledges) the status.</summary>
    private byte FinalStatus(string what)
    {
        WaitFor(s => (s & (Bsy | Drq)) == 0, $"the end of {what}");
        return Status();
    }

    private AtaDmaResult Outcome(byte busMasterStatus)
    {
        var raised = _qtest.GetIrq(Irq);
        var error = ReadRegister(ErrorFeatures);
        var status = Status();
        return new AtaDmaResult(busMasterStatus, raised, status, error, _qtest.GetIrq(Irq));
    }

    private byte WaitForBusMaster() =>
        Poll(BusMasterStatus, s => (s & (BmActive | BmInterrupt)) != BmActive, s => $"the bus master stayed active for {Patience} (status 0x{s:x2})");

    private byte WaitFor(Func<byte, bool> done, string what) =>
        Poll(AltStatus, done, s => $"no {what} within {Patience} (status 0x{s:x2})");

    /// <summary>Reads a status with <paramref name="read"/> until <paramref name="done"/> holds, yielding between reads, for up to <see cref="Patience"/>.</summary>
    private byte Poll(Func<byte> read, Func<byte, bool> done, Func<byte, string> timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var status = read();
            if (done(status))
            {
                return status;
            }

            if (clock.Elapsed > Patience)
            {
                throw new TimeoutException(timeout(status));
            }

            Thread.Yield();
        }
    }
}
