using System.Security.Cryptography;
using Emulator.Block.Backend;
using Emulator.Hosting;
using Emulator.Devices.Virtio;
using Emulator.Machine.Bus;
using Emulator.Machine.Loop;

namespace Emulator.Cli.Tests.Fuzz;

/// <summary>
/// An in-process, seeded fuzzer over a whole PC with every storage device model: IDE disk and CD-ROM,
/// a write-protected floppy, a read-only and a writable virtio-blk disk. Each step is one hostile guest
/// action — a port or MMIO access (biased to the devices' registers), PCI configuration, structured guest
/// memory (PRD tables, virtqueue descriptors with loops, wild indexes, indirect flags, huge lengths,
/// addresses past RAM), virtual time, or a media operation — and after each the loop runs until no
/// request is in flight. Invariants: no host exception escapes (the test fails with seed and step), no
/// step hangs (bounded wall time), and the read-only images keep their bytes (hashed at start, checked
/// every <see cref="CheckEvery"/> steps and at the end), and written data reads back: now and then a
/// well-formed write (virtio-blk OUT on the writable virtio disk, ATA WRITE SECTORS after a soft reset on
/// the IDE disk) lands amid the hostile steps, and when the device acknowledges it, the image holds the
/// data and the device reads it back (<see cref="WritesVerified"/>). The same seed replays the same run.
/// </summary>
internal sealed class MachineFuzzer : IDisposable
{
    public const int CheckEvery = 500;

    private const int RamBytes = 16 << 20;
    private const int DiskBytes = 1 << 20;
    private const int FloppyBytes = 1_474_560;
    private const int CdBytes = 200 * 2048;
    private const int VirtioSlotReadOnly = 4;
    private const int VirtioSlotWritable = 5;
    private const ushort ConfigAddress = 0xCF8;
    private const ushort ConfigData = 0xCFC;
    private const uint ConfigEnable = 0x8000_0000;
    private const ushort BusMasterBase = 0xC000;
    private const ushort VirtioIoBase = 0xC100;
    private const uint VirtioMmioBase = 0xFE00_0000;
    private const uint VirtioMmioStride = 0x10_0000;
    private const uint ModernBarBytes = 0x4000;
    private const uint GuestArea = 0x10_0000;
    private const uint GuestAreaBytes = 0x10_0000;
    private static readonly TimeSpan StepLimit = TimeSpan.FromSeconds(10);

    /// <summary>Where the hostile guest pokes: IDE, bus master, floppy, ISA DMA, PCI configuration, virtio legacy.</summary>
    private static readonly ushort[] Ports =
    [
        .. Range(0x1F0, 8), 0x3F6, .. Range(0x170, 8), 0x376, .. Range(BusMasterBase, 16),
        .. Range(0x3F0, 8), .. Range(0x00, 16), .. Range(0x80, 16), .. Range(0xC0, 32),
        .. Range(ConfigAddress, 4), .. Range(ConfigData, 4), .. Range(VirtioIoBase, 0x40), .. Range(VirtioIoBase + 0x100, 0x40),
    ];

    private static readonly int[] Slots = [1, VirtioSlotReadOnly, VirtioSlotWritable];

    private readonly Random _random;
    private readonly PcMachine _machine;
    private readonly EmulatorHost _host;
    private readonly string _dir;
    private readonly List<(string Path, byte[] Hash)> _readOnly = [];
    private readonly BlockBackend _cd;
    private readonly string _cdImage;
    private readonly FuzzWriteProbes _probes;

    public MachineFuzzer(int seed)
    {
        Seed = seed;
        _random = new Random(seed);
        _dir = Directory.CreateTempSubdirectory("emu-fuzz-").FullName;
        _machine = new PcMachine(new PcMachineOptions
        {
            RamSize = RamBytes,
            RunCpu = false,
            RtcStartTime = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        });
        _host = new EmulatorHost(_machine);
        var layer = _host.Layer;
        var hd = layer.OpenImage(new BlockBackendOptions { Name = "hd0" }, Image("hd.img", DiskBytes), "raw");
        _host.Devices.AttachIde(0, hd, cdrom: false, "hd0");
        _cdImage = ReadOnlyImage("cd.iso", CdBytes);
        _cd = layer.OpenImage(new BlockBackendOptions { Name = "cd0", ReadOnly = true }, _cdImage, "raw");
        _host.Devices.AttachIde(2, _cd, cdrom: true, "cd0");
        var fd = layer.OpenImage(new BlockBackendOptions { Name = "fd0", ReadOnly = true }, ReadOnlyImage("fd.img", FloppyBytes), "raw");
        _host.Devices.AttachFloppy(0, fd, "fd0");
        var vdRo = layer.OpenImage(new BlockBackendOptions { Name = "vd0", ReadOnly = true }, ReadOnlyImage("vd0.img", DiskBytes), "raw");
        _host.Devices.AddVirtio(vdRo, new VirtioBlkOptions { DeviceId = "vd0" }, VirtioSlotReadOnly);
        var vdRw = layer.OpenImage(new BlockBackendOptions { Name = "vd1" }, Image("vd1.img", DiskBytes), "raw");
        _host.Devices.AddVirtio(vdRw, new VirtioBlkOptions { DeviceId = "vd1" }, VirtioSlotWritable);
        _machine.Start();
        PlaceBars();
        _probes = new FuzzWriteProbes(_machine, layer, _random, Settle, PlaceBars, () => $"seed {Seed}, step {Steps}");
    }

    public int Seed { get; }

    /// <summary>Well-formed writes the devices acknowledged and whose data was then found on the image and read back by the guest.</summary>
    public long WritesVerified => _probes.Verified;

    public long Steps { get; private set; }

    /// <summary>Block requests the guest got to the backends (done, failed or refused): how deep the run reached.</summary>
    public long BlockRequests => _host.Layer.Backends.Sum(backend =>
        Enum.GetValues<BlockAcctType>().Sum(type =>
        {
            var counters = backend.Stats[type];
            return counters.Operations + counters.FailedOperations + counters.InvalidOperations;
        }));

    /// <summary>Runs <paramref name="steps"/> steps (or until <paramref name="deadline"/>), checking the invariants.</summary>
    public void Run(long steps, DateTime deadline)
    {
        for (var i = 0L; i < steps && DateTime.UtcNow < deadline; i++)
        {
            Step();
            Steps++;
            if (Steps % CheckEvery == 0)
            {
                CheckReadOnlyImages();
            }
        }

        CheckReadOnlyImages();
    }

    /// <summary>Throws when a read-only image changed on disk.</summary>
    public void CheckReadOnlyImages()
    {
        foreach (var (path, hash) in _readOnly)
        {
            if (!SHA256.HashData(File.ReadAllBytes(path)).AsSpan().SequenceEqual(hash))
            {
                throw new InvalidOperationException($"seed {Seed}, step {Steps}: read-only image {Path.GetFileName(path)} changed");
            }
        }
    }

    public void Dispose()
    {
        _host.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static IEnumerable<ushort> Range(int start, int count) => Enumerable.Range(start, count).Select(p => (ushort)p);

    private void Step()
    {
        var kind = _random.Next(100);
        switch (kind)
        {
            case < 25:
                _machine.Ports.Write(Port(), Width(), Value());
                break;
            case < 38:
                _machine.Ports.Read(Port(), Width());
                break;
            case < 43:
                PciConfig();
                break;
            case < 50:
                Mmio();
                break;
            case < 57:
                Descriptor();
                break;
            case < 62:
                PrdEntry();
                break;
            case < 68:
                RandomMemory();
                break;
            case < 74:
                _machine.Clock.Advance(_random.Next(1, 10_000_000));
                break;
            case < 96:
                Kick();
                break;
            case < 98:
                if (_random.Next(2) == 0)
                {
                    _probes.Virtio(VirtioIoBase + 0x100, "vd1", DiskBytes);
                }
                else
                {
                    _probes.Ata("hd0", DiskBytes);
                }

                break;
            default:
                Media();
                break;
        }

        Settle();
    }

    private ushort Port() => _random.Next(10) == 0 ? (ushort)_random.Next(0x10000) : Ports[_random.Next(Ports.Length)];

    private PortWidth Width() => _random.Next(3) switch
    {
        0 => PortWidth.Byte,
        1 => PortWidth.Word,
        _ => PortWidth.Dword,
    };

    private uint Value() => _random.Next(4) switch
    {
        0 => 0,
        1 => 0xFFFF_FFFF,
        2 => (uint)_random.Next(0x100),
        _ => (uint)_random.NextInt64(0x1_0000_0000),
    };

    /// <summary>Addresses a guest might hand a device: inside the data area, at the end of RAM, past it, or anywhere.</summary>
    private ulong Address() => _random.Next(5) switch
    {
        0 => (ulong)RamBytes - (ulong)_random.Next(1, 0x2000),
        1 => (ulong)RamBytes + (ulong)_random.Next(0x10000),
        2 => (ulong)_random.NextInt64(),
        _ => GuestArea + (ulong)_random.Next((int)GuestAreaBytes),
    };

    private uint Length() => _random.Next(4) switch
    {
        0 => 0,
        1 => 0xFFFF_FFFF,
        2 => (uint)_random.Next(1, 0x20000),
        _ => (uint)_random.Next(1, 0x1000),
    };

    private void PciConfig()
    {
        var slot = Slots[_random.Next(Slots.Length)];
        var function = slot == 1 ? 1 : 0;
        var offset = _random.Next(0x40) * 4;
        _machine.Ports.Write(ConfigAddress, PortWidth.Dword, ConfigEnable | (uint)(slot << 11) | (uint)(function << 8) | (uint)offset);
        if (_random.Next(3) == 0)
        {
            _machine.Ports.Read(ConfigData, PortWidth.Dword);
        }
        else
        {
            _machine.Ports.Write((ushort)(ConfigData + _random.Next(4)), Width(), Value());
        }
    }

    private void Mmio()
    {
        var device = (uint)_random.Next(2);
        var address = VirtioMmioBase + (device * VirtioMmioStride) + (uint)_random.Next((int)ModernBarBytes);
        Span<byte> data = stackalloc byte[1 << _random.Next(4)];
        if (_random.Next(2) == 0)
        {
            _random.NextBytes(data);
            _machine.Memory.WritePhysical(address, data);
        }
        else
        {
            _machine.Memory.ReadPhysical(address, data);
        }
    }

    /// <summary>A virtqueue descriptor or ring entry in the data area: wild address, length, flags (NEXT, WRITE, INDIRECT), next.</summary>
    private void Descriptor()
    {
        Span<byte> entry = stackalloc byte[16];
        BitConverter.TryWriteBytes(entry, Address());
        BitConverter.TryWriteBytes(entry[8..], Length());
        BitConverter.TryWriteBytes(entry[12..], (ushort)_random.Next(8));
        BitConverter.TryWriteBytes(entry[14..], (ushort)(_random.Next(4) == 0 ? _random.Next(0x10000) : _random.Next(16)));
        var at = GuestArea + ((uint)_random.Next((int)(GuestAreaBytes / 16)) * 16);
        _machine.Memory.WritePhysical(at, entry[..(_random.Next(3) == 0 ? 2 : 16)]);
    }

    /// <summary>A bus-master PRD entry: base, byte count (0 = 64 KiB), end-of-table bit at random.</summary>
    private void PrdEntry()
    {
        Span<byte> entry = stackalloc byte[8];
        BitConverter.TryWriteBytes(entry, (uint)Address());
        BitConverter.TryWriteBytes(entry[4..], (ushort)_random.Next(0x10000));
        BitConverter.TryWriteBytes(entry[6..], (ushort)(_random.Next(2) == 0 ? 0x8000 : 0));
        var at = GuestArea + ((uint)_random.Next((int)(GuestAreaBytes / 8)) * 8);
        _machine.Memory.WritePhysical(at, entry);
        if (_random.Next(2) == 0)
        {
            _machine.Ports.Write((ushort)(BusMasterBase + (_random.Next(2) * 8) + 4), PortWidth.Dword, at);
        }
    }

    private void RandomMemory()
    {
        Span<byte> data = stackalloc byte[_random.Next(1, 256)];
        _random.NextBytes(data);
        _machine.Memory.WritePhysical(GuestArea + (uint)_random.Next((int)GuestAreaBytes - data.Length), data);
    }

    /// <summary>
    /// Well-formed commands with hostile parameters, so the run reaches the block layer and not only the
    /// decoders: ATA PIO/DMA/flush on the disk, ATAPI packets on the CD, floppy transfers by DMA, and a
    /// legacy virtio-blk request whose header, data and status descriptors point anywhere.
    /// </summary>
    private void Kick()
    {
        switch (_random.Next(4))
        {
            case 0:
                AtaCommand();
                break;
            case 1:
                AtapiPacket();
                break;
            case 2:
                FloppyTransfer();
                break;
            default:
                VirtioRequest();
                break;
        }
    }

    private void AtaCommand()
    {
        byte[] commands = [0x20, 0x30, 0xC8, 0xCA, 0xE7, 0x24, 0x34, 0x25, 0x35, 0xC4, 0xC5, 0x06];
        var command = commands[_random.Next(commands.Length)];
        var sectors = _random.Next(1, 9);
        var lba = _random.Next(4) == 0 ? (uint)_random.Next() : (uint)_random.Next(DiskBytes / 512);
        if (_random.Next(2) == 0)
        {
            // A driver that finds the channel wedged pulses SRST first.
            _machine.Ports.Write(0x3F6, PortWidth.Byte, 0x04);
            _machine.Ports.Write(0x3F6, PortWidth.Byte, 0x00);
            _machine.Ports.Write(BusMasterBase, PortWidth.Byte, 0);
            Settle();
        }

        _machine.Ports.Write(0x1F6, PortWidth.Byte, 0xE0u | ((lba >> 24) & 0x0F));
        _machine.Ports.Write(0x1F2, PortWidth.Byte, (uint)sectors);
        _machine.Ports.Write(0x1F3, PortWidth.Byte, lba & 0xFF);
        _machine.Ports.Write(0x1F4, PortWidth.Byte, (lba >> 8) & 0xFF);
        _machine.Ports.Write(0x1F5, PortWidth.Byte, (lba >> 16) & 0xFF);
        _machine.Ports.Write(0x1F7, PortWidth.Byte, command);
        if (command is 0x30 or 0x34 or 0xC5)
        {
            var data = new byte[sectors * 512];
            _random.NextBytes(data);
            _machine.Ports.WriteBlock(0x1F0, PortWidth.Word, data);
        }
        else if (command is 0xC8 or 0xCA or 0x25 or 0x35 or 0x06)
        {
            PrdEntry();
            _machine.Ports.Write(BusMasterBase, PortWidth.Byte, command is 0xC8 or 0x25 ? 0x09u : 0x01u);
        }
    }

    private void AtapiPacket()
    {
        byte[] opcodes = [0x28, 0xA8, 0xBE, 0x12, 0x03, 0x1B, 0x1E, 0x25, 0x43, 0x46, 0x4A, 0x5A, 0x00, 0xBD];
        var cdb = new byte[12];
        _random.NextBytes(cdb);
        cdb[0] = opcodes[_random.Next(opcodes.Length)];
        if (_random.Next(2) == 0)
        {
            _machine.Ports.Write(0x376, PortWidth.Byte, 0x04);
            _machine.Ports.Write(0x376, PortWidth.Byte, 0x00);
            Settle();
        }

        _machine.Ports.Write(0x176, PortWidth.Byte, 0xA0);
        _machine.Ports.Write(0x171, PortWidth.Byte, (uint)_random.Next(2));
        _machine.Ports.Write(0x174, PortWidth.Byte, (uint)_random.Next(0x100));
        _machine.Ports.Write(0x175, PortWidth.Byte, (uint)_random.Next(0x100));
        _machine.Ports.Write(0x177, PortWidth.Byte, 0xA0);
        _machine.Ports.WriteBlock(0x170, PortWidth.Word, cdb);
        if (_random.Next(2) == 0)
        {
            var reply = new byte[_random.Next(1, 0x2000) & ~1];
            _machine.Ports.ReadBlock(0x170, PortWidth.Word, reply);
        }
    }

    private void FloppyTransfer()
    {
        byte[] commands = [0x46, 0x45, 0x4D, 0x4A, 0x42, 0x56, 0xC6, 0xC5, 0x11, 0x19, 0x1D];
        var count = _random.Next(1, 0x4000);
        var address = GuestArea + (uint)_random.Next((int)GuestAreaBytes);
        _machine.Ports.Write(0x0A, PortWidth.Byte, 0x06);
        _machine.Ports.Write(0x0C, PortWidth.Byte, 0);
        _machine.Ports.Write(0x0B, PortWidth.Byte, _random.Next(2) == 0 ? 0x46u : 0x4Au);
        _machine.Ports.Write(0x04, PortWidth.Byte, address & 0xFF);
        _machine.Ports.Write(0x04, PortWidth.Byte, (address >> 8) & 0xFF);
        _machine.Ports.Write(0x81, PortWidth.Byte, (address >> 16) & 0xFF);
        _machine.Ports.Write(0x05, PortWidth.Byte, (uint)(count - 1) & 0xFF);
        _machine.Ports.Write(0x05, PortWidth.Byte, (uint)((count - 1) >> 8) & 0xFF);
        _machine.Ports.Write(0x0A, PortWidth.Byte, 0x02);
        if (_random.Next(2) == 0)
        {
            _machine.Ports.Write(0x3F2, PortWidth.Byte, 0x00);
        }

        _machine.Ports.Write(0x3F2, PortWidth.Byte, 0x1C);
        _machine.Ports.Write(0x3F7, PortWidth.Byte, (uint)_random.Next(4));
        _machine.Ports.Write(0x3F5, PortWidth.Byte, commands[_random.Next(commands.Length)]);
        for (var i = 0; i < 8; i++)
        {
            _machine.Ports.Write(0x3F5, PortWidth.Byte, (uint)(_random.Next(3) == 0 ? _random.Next(0x100) : _random.Next(0x13)));
        }
    }

    private void VirtioRequest()
    {
        const int queuePfn = 0x08;
        const int queueSize = 0x0C;
        const int queueNotify = 0x10;
        const int deviceStatus = 0x12;
        var io = (ushort)(VirtioIoBase + (_random.Next(2) * 0x100));
        var rings = GuestArea;
        if (_random.Next(2) == 0)
        {
            // Reset, as a driver does after NEEDS_RESET or a broken queue.
            _machine.Ports.Write((ushort)(io + deviceStatus), PortWidth.Byte, 0);
            Settle();
            _machine.Memory.WritePhysical(rings, new byte[0x3000]);
        }

        _machine.Ports.Write((ushort)(io + deviceStatus), PortWidth.Byte, 0x07);
        _machine.Ports.Write((ushort)(io + queuePfn), PortWidth.Dword, rings >> 12);
        var size = (int)_machine.Ports.Read((ushort)(io + queueSize), PortWidth.Word);
        size = size == 0 ? 128 : size;
        var header = GuestArea + 0x8_0000;
        Span<byte> request = stackalloc byte[16];
        byte[] types = [0, 1, 4, 8, 11, 13, 0xFF];
        BitConverter.TryWriteBytes(request, (uint)types[_random.Next(types.Length)]);
        BitConverter.TryWriteBytes(request[8..], _random.Next(4) == 0 ? (ulong)_random.NextInt64() : (ulong)_random.Next(DiskBytes / 512));
        _machine.Memory.WritePhysical(header, request);
        var head = (ushort)_random.Next(size);
        WriteDescriptor(rings, head, header, 16, 1, (ushort)((head + 1) % size));
        WriteDescriptor(rings, (head + 1) % size, _random.Next(3) == 0 ? Address() : header + 0x1000, _random.Next(3) == 0 ? Length() : 512u * (uint)_random.Next(1, 9), (ushort)(1 | (_random.Next(2) * 2)), (ushort)((head + 2) % size));
        WriteDescriptor(rings, (head + 2) % size, _random.Next(4) == 0 ? Address() : header + 0x800, 1, 2, 0);
        var avail = rings + (uint)(16 * size);
        Span<byte> index = stackalloc byte[2];
        _machine.Memory.ReadPhysical(avail + 2, index);
        var next = BitConverter.ToUInt16(index);
        BitConverter.TryWriteBytes(index, head);
        _machine.Memory.WritePhysical(avail + 4 + (uint)(2 * (next % size)), index);
        BitConverter.TryWriteBytes(index, (ushort)(next + (_random.Next(8) == 0 ? _random.Next(0x10000) : 1)));
        _machine.Memory.WritePhysical(avail + 2, index);
        _machine.Ports.Write((ushort)(io + queueNotify), PortWidth.Word, 0);
    }

    private void WriteDescriptor(uint table, int index, ulong address, uint length, ushort flags, ushort next)
    {
        Span<byte> entry = stackalloc byte[16];
        BitConverter.TryWriteBytes(entry, address);
        BitConverter.TryWriteBytes(entry[8..], length);
        BitConverter.TryWriteBytes(entry[12..], flags);
        BitConverter.TryWriteBytes(entry[14..], next);
        _machine.Memory.WritePhysical(table + (uint)(16 * index), entry);
    }

    /// <summary>What a management client does to the CD: eject (forced or not) or change the medium back in.</summary>
    private void Media()
    {
        try
        {
            if (_cd.IsInserted && _random.Next(2) == 0)
            {
                _host.Layer.Media.Eject(_cd, force: _random.Next(2) == 0);
            }
            else
            {
                _host.Layer.Media.ChangeMedium(_cd, _cdImage, "raw", ReadOnlyMode.ReadOnly);
            }
        }
        catch (BlockOperationException)
        {
            // A locked tray refuses, as QEMU's does: the guest's lock is allowed to win.
        }
    }

    private void Settle()
    {
        var layer = _host.Layer;
        var deadline = DateTime.UtcNow + StepLimit;
        while (true)
        {
            _machine.Run(RunLimits.UntilIdle);
            if (!layer.Backends.Any(b => b.InFlight > 0) && !layer.Completions.HasPending)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"seed {Seed}, step {Steps}: block I/O did not settle within {StepLimit.TotalSeconds} s");
            }

            layer.Completions.WaitForPending(TimeSpan.FromMilliseconds(20));
        }
    }

    /// <summary>BAR placement a BIOS would do: IDE bus master, virtio legacy I/O and modern memory BARs, decoding and bus mastering on.</summary>
    private void PlaceBars()
    {
        const int command = 0x04;
        const uint ioMemoryBusMaster = 0x0007;
        ConfigWrite(1, 1, 0x20, BusMasterBase);
        ConfigWrite(1, 1, command, ioMemoryBusMaster);
        for (var i = 0; i < 2; i++)
        {
            var slot = i == 0 ? VirtioSlotReadOnly : VirtioSlotWritable;
            ConfigWrite(slot, 0, 0x10, (uint)(VirtioIoBase + (i * 0x100)));
            ConfigWrite(slot, 0, 0x20, VirtioMmioBase + ((uint)i * VirtioMmioStride));
            ConfigWrite(slot, 0, 0x24, 0);
            ConfigWrite(slot, 0, command, ioMemoryBusMaster);
        }
    }

    private void ConfigWrite(int slot, int function, int offset, uint value)
    {
        _machine.Ports.Write(ConfigAddress, PortWidth.Dword, ConfigEnable | (uint)(slot << 11) | (uint)(function << 8) | (uint)offset);
        _machine.Ports.Write(ConfigData, PortWidth.Dword, value);
    }

    private string Image(string name, int bytes)
    {
        var path = Path.Combine(_dir, name);
        var data = new byte[bytes];
        new Random(Seed ^ name.Length).NextBytes(data);
        File.WriteAllBytes(path, data);
        return path;
    }

    private string ReadOnlyImage(string name, int bytes)
    {
        var path = Image(name, bytes);
        _readOnly.Add((path, SHA256.HashData(File.ReadAllBytes(path))));
        return path;
    }
}
