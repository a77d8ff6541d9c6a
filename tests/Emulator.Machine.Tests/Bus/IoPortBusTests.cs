using Emulator.Machine.Bus;

namespace Emulator.Machine.Tests.Bus;

public class IoPortBusTests
{
    private sealed class ByteRegisters : IPortDevice
    {
        public readonly byte[] Values = new byte[4];
        public int Accesses;

        public uint Read(ushort port, PortWidth width)
        {
            Accesses++;
            return Values[port & 3];
        }

        public void Write(ushort port, PortWidth width, uint value)
        {
            Accesses++;
            Values[port & 3] = (byte)value;
        }
    }

    private sealed class WordFifo : IPortBlockDevice
    {
        public readonly Queue<ushort> Data = new();
        public int BlockCalls;

        public uint Read(ushort port, PortWidth width) => Data.Count > 0 ? Data.Dequeue() : 0u;

        public void Write(ushort port, PortWidth width, uint value) => Data.Enqueue((ushort)value);

        public int ReadString(ushort port, PortWidth width, Span<byte> destination)
        {
            BlockCalls++;
            var n = Math.Min(Data.Count, destination.Length / 2);
            for (var i = 0; i < n; i++)
            {
                var v = Data.Dequeue();
                destination[2 * i] = (byte)v;
                destination[(2 * i) + 1] = (byte)(v >> 8);
            }

            return n;
        }

        public int WriteString(ushort port, PortWidth width, ReadOnlySpan<byte> source)
        {
            BlockCalls++;
            for (var i = 0; i + 1 < source.Length; i += 2)
            {
                Data.Enqueue((ushort)(source[i] | (source[i + 1] << 8)));
            }

            return source.Length / 2;
        }
    }

    [Test]
    public void Read_UnclaimedPort_FloatsHigh()
    {
        var bus = new IoPortBus();
        bus.Freeze();

        Assert.That(bus.Read(0x1234, PortWidth.Dword), Is.EqualTo(0xFFFF_FFFFu));
    }

    [Test]
    public void Read_WordOnByteDevice_SplitsIntoTwoByteReads()
    {
        var bus = new IoPortBus();
        var dev = new ByteRegisters();
        dev.Values[0] = 0x34;
        dev.Values[1] = 0x12;
        bus.Register(dev, 0x70, 2);
        bus.Freeze();

        Assert.Multiple(() =>
        {
            Assert.That(bus.Read(0x70, PortWidth.Word), Is.EqualTo(0x1234u));
            Assert.That(dev.Accesses, Is.EqualTo(2));
        });
    }

    [Test]
    public void Read_WordStraddlingUnclaimedPort_UnclaimedHalfReadsFF()
    {
        var bus = new IoPortBus();
        var dev = new ByteRegisters();
        dev.Values[3] = 0x5A;
        bus.Register(dev, 0x83, 1);
        bus.Freeze();

        Assert.That(bus.Read(0x83, PortWidth.Word), Is.EqualTo(0xFF5Au));
    }

    [Test]
    public void Register_OverlappingRange_Throws()
    {
        var bus = new IoPortBus();
        bus.Register(new ByteRegisters(), 0x60, 4);

        Assert.That(() => bus.Register(new ByteRegisters(), 0x63, 2), Throws.InvalidOperationException);
    }

    [Test]
    public void Register_RangeEndingAtTopOfIoSpace_ClaimsLastPort()
    {
        var bus = new IoPortBus();
        var dev = new ByteRegisters();

        bus.Register(dev, 0xFFFC, 4);

        Assert.That(bus.OwnerOf(0xFFFF), Is.SameAs(dev));
    }

    [Test]
    public void Register_AfterFreeze_Throws()
    {
        var bus = new IoPortBus();
        bus.Freeze();

        Assert.That(() => bus.Register(new ByteRegisters(), 0x60, 1), Throws.InvalidOperationException);
    }

    [Test]
    public void ReadBlock_DeviceWithFastPath_ServesWholeBlockInOneCall()
    {
        var bus = new IoPortBus();
        var fifo = new WordFifo();
        for (ushort i = 0; i < 256; i++)
        {
            fifo.Data.Enqueue(i);
        }

        bus.Register(fifo, 0x1F0, 1, PortWidths.Byte | PortWidths.Word);
        bus.Freeze();
        var sector = new byte[512];

        bus.ReadBlock(0x1F0, PortWidth.Word, sector);

        Assert.Multiple(() =>
        {
            Assert.That(fifo.BlockCalls, Is.EqualTo(1));
            Assert.That(sector[2 * 255], Is.EqualTo(255));
            Assert.That(sector[2], Is.EqualTo(1));
        });
    }

    [Test]
    public void Write_Observed_ByPortWrittenEvent()
    {
        var bus = new IoPortBus();
        bus.Freeze();
        (ushort Port, uint Value) seen = default;
        bus.PortWritten += (p, _, v) => seen = (p, v);

        bus.Write(0x501, PortWidth.Byte, 0x31);

        Assert.That(seen, Is.EqualTo(((ushort)0x501, 0x31u)));
    }
}
