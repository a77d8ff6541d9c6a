using System.Buffers.Binary;
using Emulator.Machine.Bus;
using Emulator.Machine.Platform;
using Emulator.Machine.Tests.Support;
using Emulator.Machine.Timers;

namespace Emulator.Machine.Tests.Platform;

public class PcChipsetTests
{
    private IoPortBus _bus = null!;
    private PcChipset _chips = null!;
    private List<byte> _serial = null!;

    [SetUp]
    public void SetUp()
    {
        _serial = [];
        _bus = new IoPortBus();
        _chips = new PcChipset(new VirtualClock(), new ByteArrayMemory(0x100000), new FakeA20Gate(), new PcChipsetOptions
        {
            RamBelowFourGigabytes = 64UL << 20,
            RtcStartTime = new DateTime(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc),
            SerialOutput = _serial.Add,
        });
        _chips.RegisterPorts(_bus);
        _bus.Freeze();
    }

    private byte ReadCmos(byte index)
    {
        _bus.WriteByte(0x70, index);
        return _bus.ReadByte(0x71);
    }

    [Test]
    public void RegisterPorts_AllChips_ClaimTheirDocumentedPorts()
    {
        ushort[] ports = [0x00, 0x20, 0x40, 0x60, 0x61, 0x64, 0x70, 0x81, 0x92, 0xA0, 0xC0, 0xE9, 0x3D4, 0x3F8, 0x4D0, 0x501, 0x510, 0xCF8, 0xCFC, 0xC000];

        Assert.That(ports.Select(p => _bus.OwnerOf(p)), Has.None.Null);
    }

    [Test]
    public void Port80_PostCodeWritten_KeptAndReadsFloatHigh()
    {
        _bus.WriteByte(0x80, 0x42);

        Assert.Multiple(() =>
        {
            Assert.That(_chips.PostCode.LastCode, Is.EqualTo(0x42));
            Assert.That(_bus.ReadByte(0x80), Is.EqualTo(0xFF));
        });
    }

    [Test]
    public void FwCfgRamSize_MatchesCmosExtendedMemory()
    {
        _bus.Write(0x510, PortWidth.Word, 0x0003);
        Span<byte> ram = stackalloc byte[8];
        for (var i = 0; i < ram.Length; i++)
        {
            ram[i] = _bus.ReadByte(0x511);
        }

        var above16M = ReadCmos(0x34) | (ReadCmos(0x35) << 8);

        Assert.That(BinaryPrimitives.ReadUInt64LittleEndian(ram), Is.EqualTo((16UL << 20) + ((ulong)above16M << 16)));
    }

    [Test]
    public void Com1_ThrWrite_ReachesSerialOutput()
    {
        _bus.WriteByte(0x3F8, (byte)'Z');

        Assert.That(_serial, Is.EqualTo(new[] { (byte)'Z' }));
    }

    [Test]
    public void Com1Receive_WithIerSet_ReachesCpuAsIrq4ThroughPic()
    {
        _bus.WriteByte(0x20, 0x11);
        _bus.WriteByte(0x21, 0x08);
        _bus.WriteByte(0x21, 0x04);
        _bus.WriteByte(0x21, 0x01);
        _bus.WriteByte(0x21, 0xEF);
        _bus.WriteByte(0x3F9, 0x01);

        _chips.Com1.Enqueue((byte)'a');

        Assert.That(_chips.Pic.Acknowledge(), Is.EqualTo(0x0C));
    }

    [Test]
    public void HostileGuest_RandomPortTrafficAndTime_NeverThrows()
    {
        var random = new Random(20261121);
        ushort[] bases = [0x00, 0x20, 0x40, 0x60, 0x70, 0x80, 0x92, 0xA0, 0xC0, 0xE9, 0x3C0, 0x3D4, 0x3F8, 0x4D0, 0x480, 0x501, 0x510, 0xCF8, 0xC000];
        var widths = new[] { PortWidth.Byte, PortWidth.Word, PortWidth.Dword };

        void Traffic()
        {
            for (var i = 0; i < 200_000; i++)
            {
                var port = (ushort)(bases[random.Next(bases.Length)] + random.Next(32));
                var width = widths[random.Next(widths.Length)];
                _ = random.Next(2) == 0
                    ? _bus.Read(port, width)
                    : WriteAndReturn(port, width, (uint)random.NextInt64(0, 1L << 32));
                _chips.Clock.Advance(random.Next(5_000));
                _chips.Keyboard.TapKey(Key.A);
                _chips.Com1.Enqueue((byte)i);
                _chips.Dma.GetChannel(random.Next(8)).Transfer(new byte[random.Next(64)]);
            }
        }

        Assert.That(Traffic, Throws.Nothing);
    }

    private uint WriteAndReturn(ushort port, PortWidth width, uint value)
    {
        _bus.Write(port, width, value);
        return value;
    }
}
