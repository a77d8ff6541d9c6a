using Emulator.Block;
using Emulator.Block.Backend;
using Emulator.Board;
using Emulator.Devices.Ide;
using Emulator.Machine.Bus;
using Emulator.Machine.Loop;
using Microsoft.Extensions.DependencyInjection;

namespace Emulator.Devices.Tests.Ide;

/// <summary>
/// A PC in qtest mode (no CPU) with the PIIX3 IDE controller installed and a block layer built the
/// way the emulator builds it. Tests talk to the controller only through ports, guest memory, PCI
/// configuration space and the IRQ line, using the spec constants below (ATA/ATAPI-6, PIIX3).
/// </summary>
internal sealed class IdeRig : IDisposable
{
    // Primary channel command block and control block (ATA/ATAPI-6 section 7.1; PC compatibility addresses).
    public const ushort Data = 0x1F0;
    public const ushort ErrorReg = 0x1F1;
    public const ushort Features = 0x1F1;
    public const ushort Count = 0x1F2;
    public const ushort LbaLow = 0x1F3;
    public const ushort LbaMid = 0x1F4;
    public const ushort LbaHigh = 0x1F5;
    public const ushort Device = 0x1F6;
    public const ushort Status = 0x1F7;
    public const ushort Command = 0x1F7;
    public const ushort AltStatus = 0x3F6;
    public const ushort Control = 0x3F6;
    public const int PrimaryIrq = 14;

    // Status bits (ATA/ATAPI-6 7.15).
    public const byte Bsy = 0x80;
    public const byte Drdy = 0x40;
    public const byte Dsc = 0x10;
    public const byte Drq = 0x08;
    public const byte Err = 0x01;

    // Error bits and device register bits.
    public const byte Abrt = 0x04;
    public const byte LbaMode = 0x40;
    public const byte DevBit = 0x10;
    public const byte Obsolete = 0xA0;

    // Device control bits.
    public const byte Nien = 0x02;
    public const byte Srst = 0x04;
    public const byte Hob = 0x80;

    // Bus master registers (PIIX3 2.7) at the BAR4 address the rig programs.
    public const ushort BusMasterBase = 0xC000;
    public const ushort BmCommand = BusMasterBase;
    public const ushort BmStatus = BusMasterBase + 2;
    public const ushort BmPrd = BusMasterBase + 4;
    public const byte BmStart = 0x01;
    public const byte BmToMemory = 0x08;
    public const byte BmActive = 0x01;
    public const byte BmInterrupt = 0x04;

    public const int SectorSize = 512;

    private readonly ServiceProvider _services;

    public IdeRig(bool runCpu = false)
    {
        _services = new ServiceCollection().AddBlockLayer().AddStandardBlockDrivers().BuildServiceProvider();
        Layer = _services.GetRequiredService<BlockLayer>();
        _services.GetRequiredService<BlockEventBroadcaster>().Published += Events.Add;
        Machine = new PcMachine(new PcMachineOptions { RunCpu = runCpu, RamSize = 8 << 20, Idle = IdleMode.Skip });
        PcBoard.ConnectBlockLayer(Machine, Layer);
        Ide = Machine.Install(new Piix3Ide(Machine));
        TempDir = Directory.CreateTempSubdirectory("emu-ide-test-").FullName;
    }

    public BlockLayer Layer { get; }

    public PcMachine Machine { get; }

    public Piix3Ide Ide { get; }

    public string TempDir { get; }

    public List<BlockEvent> Events { get; } = [];

    public bool Irq => Machine.Chipset.IrqLines[PrimaryIrq].Level;

    /// <summary>Byte i of every test image: a pattern that differs between neighbouring sectors.</summary>
    public static byte Pattern(long i) => (byte)(((i * 7) + (i / 512) + (i / 65536)) % 251);

    /// <summary>Creates a raw image of <paramref name="length"/> bytes (sparse past <paramref name="filled"/>) filled with <see cref="Pattern"/>.</summary>
    public string CreateImageFile(long length, string name = "disk.img", long filled = 4 << 20)
    {
        var path = Path.Combine(TempDir, name);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
        file.SetLength(length);
        var data = new byte[Math.Min(length, filled)];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = Pattern(i);
        }

        file.Write(data);
        return path;
    }

    public BlockBackend OpenImage(string path, string name, BlockErrorPolicy writeError = BlockErrorPolicy.Enospc, BlockErrorPolicy readError = BlockErrorPolicy.Report) =>
        Layer.OpenImage(new BlockBackendOptions { Name = name, WriteErrorPolicy = writeError, ReadErrorPolicy = readError }, path, "raw");

    /// <summary>A raw disk image attached as primary master.</summary>
    public BlockBackend AttachDisk(long length = 8 << 20, IdeDriveOptions? options = null)
    {
        var backend = OpenImage(CreateImageFile(length), "hd0");
        Ide.AttachDisk(0, 0, backend, options);
        return backend;
    }

    public void Start() => Machine.Start();

    public byte In(ushort port) => Machine.Ports.ReadByte(port);

    public void Out(ushort port, byte value) => Machine.Ports.WriteByte(port, value);

    public ushort InW(ushort port) => (ushort)Machine.Ports.Read(port, PortWidth.Word);

    public void OutW(ushort port, ushort value) => Machine.Ports.Write(port, PortWidth.Word, value);

    public uint InL(ushort port) => Machine.Ports.Read(port, PortWidth.Dword);

    public void OutL(ushort port, uint value) => Machine.Ports.Write(port, PortWidth.Dword, value);

    /// <summary><c>rep insw</c> of <paramref name="bytes"/> from the data port.</summary>
    public byte[] ReadData(int bytes)
    {
        var buffer = new byte[bytes];
        Machine.Ports.ReadBlock(Data, PortWidth.Word, buffer);
        return buffer;
    }

    /// <summary><c>rep outsw</c> to the data port.</summary>
    public void WriteData(ReadOnlySpan<byte> data) => Machine.Ports.WriteBlock(Data, PortWidth.Word, data);

    /// <summary>Sets up the task file for an LBA28 command and writes the command.</summary>
    public void Lba28Command(byte command, long lba, int count, int unit = 0)
    {
        Out(Device, (byte)(Obsolete | LbaMode | (unit != 0 ? DevBit : 0) | (int)((lba >> 24) & 0x0F)));
        Out(Count, (byte)count);
        Out(LbaLow, (byte)lba);
        Out(LbaMid, (byte)(lba >> 8));
        Out(LbaHigh, (byte)(lba >> 16));
        Out(Command, command);
    }

    /// <summary>Sets up the task file for an LBA48 command (high bytes first) and writes the command.</summary>
    public void Lba48Command(byte command, long lba, int count)
    {
        Out(Device, Obsolete | LbaMode);
        Out(Count, (byte)(count >> 8));
        Out(LbaLow, (byte)(lba >> 24));
        Out(LbaMid, (byte)(lba >> 32));
        Out(LbaHigh, (byte)(lba >> 40));
        Out(Count, (byte)count);
        Out(LbaLow, (byte)lba);
        Out(LbaMid, (byte)(lba >> 8));
        Out(LbaHigh, (byte)(lba >> 16));
        Out(Command, command);
    }

    /// <summary>
    /// Runs the machine loop's fixed point until no block request is in flight and nothing is
    /// queued: posted work (the SRST reset), completions, and whatever they submit next.
    /// </summary>
    public void Settle()
    {
        for (var round = 0; round < 100_000; round++)
        {
            Machine.Run(RunLimits.UntilIdle);
            if (!Layer.Backends.Any(b => b.InFlight > 0) && !Layer.Completions.HasPending)
            {
                return;
            }

            Layer.Completions.WaitForPending(TimeSpan.FromMilliseconds(100));
        }

        throw new TimeoutException("Block I/O did not settle.");
    }

    /// <summary>Programs BAR4 at <see cref="BusMasterBase"/> and enables I/O decoding and bus mastering through 0xCF8/0xCFC.</summary>
    public void EnableBusMaster()
    {
        const int bar4 = 0x20;
        const int command = 0x04;
        const ushort ioSpaceAndBusMaster = 0x0005;
        WriteConfig(bar4, BusMasterBase);
        WriteConfig(command, ioSpaceAndBusMaster);
    }

    /// <summary>Configuration read at 00:01.1 (PCI 3.0 configuration mechanism #1).</summary>
    public uint ReadConfig(int offset, int function = 1)
    {
        OutL(0xCF8, ConfigAddress(offset, function));
        return InL(0xCFC);
    }

    public void WriteConfig(int offset, uint value, int function = 1)
    {
        OutL(0xCF8, ConfigAddress(offset, function));
        OutL(0xCFC, value);
    }

    /// <summary>Writes a PRD table at <paramref name="table"/>: (address, byte count, end of table) entries.</summary>
    public void WritePrdTable(uint table, params (uint Address, int Count, bool Last)[] entries)
    {
        for (var i = 0; i < entries.Length; i++)
        {
            var (address, count, last) = entries[i];
            Machine.Memory.WriteDword(table + (uint)(i * 8), address);
            Machine.Memory.WriteDword(table + (uint)(i * 8) + 4, (uint)(count & 0xFFFF) | (last ? 0x8000_0000u : 0));
        }
    }

    public byte[] ReadMemory(uint address, int length)
    {
        var data = new byte[length];
        Machine.Memory.Read(address, data);
        return data;
    }

    public static byte[] PatternBytes(long offset, int length)
    {
        var data = new byte[length];
        for (var i = 0; i < length; i++)
        {
            data[i] = Pattern(offset + i);
        }

        return data;
    }

    public void Dispose()
    {
        _services.Dispose();
        Directory.Delete(TempDir, recursive: true);
    }

    private static uint ConfigAddress(int offset, int function) =>
        0x8000_0000u | (1u << 11) | ((uint)function << 8) | (uint)(offset & 0xFC);
}
