using Emulator.Machine.Bus;
using Emulator.Machine.Dma;
using Emulator.Machine.Tests.Support;

namespace Emulator.Machine.Tests.Dma;

public class IsaDmaTests
{
    // First controller (8237A datasheet register map at 0x00-0x0F).
    private const ushort Ch2Address = 0x04;
    private const ushort Ch2Count = 0x05;
    private const ushort Status = 0x08;
    private const ushort SingleMask = 0x0A;
    private const ushort Mode = 0x0B;
    private const ushort ClearFlipFlop = 0x0C;
    private const ushort MasterClear = 0x0D;
    private const ushort AllMask = 0x0F;
    private const ushort Ch2Page = 0x81;

    // Second controller: register n at 0xC0 + 2n.
    private const ushort Ch5Address = 0xC4;
    private const ushort Ch5Count = 0xC6;
    private const ushort SingleMask2 = 0xD4;
    private const ushort Mode2 = 0xD6;
    private const ushort ClearFlipFlop2 = 0xD8;
    private const ushort Ch5Page = 0x8B;

    // Mode bytes: single mode (0x40) + type + channel.
    private const byte ModeSingleWriteCh2 = 0x46;
    private const byte ModeSingleReadCh2 = 0x4A;
    private const byte ModeSingleWriteAutoCh2 = 0x56;
    private const byte ModeSingleWriteDecrementCh2 = 0x66;
    private const byte ModeSingleWriteCh5 = 0x45;
    private const byte MaskCh2 = 0x06;
    private const byte UnmaskCh2 = 0x02;
    private const byte UnmaskCh5 = 0x01;
    private const byte StatusTcCh2 = 0x04;

    private ByteArrayMemory _memory = null!;
    private IsaDma _dma = null!;
    private IoPortBus _bus = null!;

    [SetUp]
    public void SetUp()
    {
        _memory = new ByteArrayMemory(0x40000);
        _dma = new IsaDma(_memory);
        _bus = new IoPortBus();
        _dma.RegisterPorts(_bus);
        _bus.Freeze();
    }

    private void ProgramChannel2(byte mode, ushort address, byte page, ushort countMinusOne)
    {
        _bus.WriteByte(SingleMask, MaskCh2);
        _bus.WriteByte(ClearFlipFlop, 0);
        _bus.WriteByte(Mode, mode);
        _bus.WriteByte(Ch2Address, (byte)address);
        _bus.WriteByte(Ch2Address, (byte)(address >> 8));
        _bus.WriteByte(Ch2Count, (byte)countMinusOne);
        _bus.WriteByte(Ch2Count, (byte)(countMinusOne >> 8));
        _bus.WriteByte(Ch2Page, page);
        _bus.WriteByte(SingleMask, UnmaskCh2);
    }

    private static byte[] Pattern(int length) => Enumerable.Range(0, length).Select(i => (byte)(i * 7)).ToArray();

    [Test]
    public void WriteTransfer_FullCount_DataLandsAtPageAndAddress()
    {
        ProgramChannel2(ModeSingleWriteCh2, 0x1000, 0x02, 511);
        var data = Pattern(512);

        _dma.GetChannel(2).WriteToMemory(data);

        Assert.That(_memory.Bytes.AsSpan(0x21000, 512).ToArray(), Is.EqualTo(data));
    }

    [Test]
    public void WriteTransfer_FullCount_ReturnsBytesMovedAndReachesTc()
    {
        ProgramChannel2(ModeSingleWriteCh2, 0x1000, 0x02, 511);

        var moved = _dma.GetChannel(2).WriteToMemory(Pattern(512));

        Assert.Multiple(() =>
        {
            Assert.That(moved, Is.EqualTo(512));
            Assert.That(_dma.GetChannel(2).TerminalCountReached, Is.True);
            Assert.That(_bus.ReadByte(Status) & StatusTcCh2, Is.EqualTo(StatusTcCh2));
        });
    }

    [Test]
    public void WriteTransfer_CountEndsEarly_MovesOnlyCountAndReportsTc()
    {
        ProgramChannel2(ModeSingleWriteCh2, 0x1000, 0x02, 99);

        var moved = _dma.GetChannel(2).WriteToMemory(Pattern(512));

        Assert.Multiple(() =>
        {
            Assert.That(moved, Is.EqualTo(100));
            Assert.That(_dma.GetChannel(2).TerminalCountReached, Is.True);
            Assert.That(_memory.Bytes[0x21000 + 100], Is.Zero);
        });
    }

    [Test]
    public void WriteTransfer_PartialBuffer_CurrentCountAndAddressAdvance()
    {
        ProgramChannel2(ModeSingleWriteCh2, 0x1000, 0x02, 511);
        _dma.GetChannel(2).WriteToMemory(Pattern(256));

        _bus.WriteByte(ClearFlipFlop, 0);
        var address = _bus.ReadByte(Ch2Address) | (_bus.ReadByte(Ch2Address) << 8);
        var count = _bus.ReadByte(Ch2Count) | (_bus.ReadByte(Ch2Count) << 8);

        Assert.Multiple(() =>
        {
            Assert.That(address, Is.EqualTo(0x1100));
            Assert.That(count, Is.EqualTo(255));
            Assert.That(_dma.GetChannel(2).TerminalCountReached, Is.False);
        });
    }

    [Test]
    public void WriteTransfer_AfterTcWithoutAutoInit_ChannelMasked()
    {
        ProgramChannel2(ModeSingleWriteCh2, 0x1000, 0x02, 15);
        _dma.GetChannel(2).WriteToMemory(Pattern(16));

        Assert.That(_bus.ReadByte(AllMask) & 0x04, Is.EqualTo(0x04));
    }

    [Test]
    public void WriteTransfer_AutoInit_ReloadsAndStaysUnmasked()
    {
        ProgramChannel2(ModeSingleWriteAutoCh2, 0x1000, 0x02, 15);
        _dma.GetChannel(2).WriteToMemory(Pattern(16));

        var channel = _dma.GetChannel(2);

        Assert.Multiple(() =>
        {
            Assert.That(channel.CurrentAddress, Is.EqualTo(0x1000));
            Assert.That(channel.CurrentCount, Is.EqualTo(15));
            Assert.That(channel.IsMasked, Is.False);
        });
    }

    [Test]
    public void ReadTransfer_MemoryToDevice_CopiesGuestBytes()
    {
        var data = Pattern(64);
        data.CopyTo(_memory.Bytes, 0x12000);
        ProgramChannel2(ModeSingleReadCh2, 0x2000, 0x01, 63);
        var buffer = new byte[64];

        var moved = _dma.GetChannel(2).ReadFromMemory(buffer);

        Assert.Multiple(() =>
        {
            Assert.That(moved, Is.EqualTo(64));
            Assert.That(buffer, Is.EqualTo(data));
        });
    }

    [Test]
    public void Transfer_WriteMode_FollowsProgrammedDirection()
    {
        ProgramChannel2(ModeSingleWriteCh2, 0x0000, 0x03, 3);
        var data = new byte[] { 1, 2, 3, 4 };

        _dma.GetChannel(2).Transfer(data);

        Assert.That(_memory.Bytes.AsSpan(0x30000, 4).ToArray(), Is.EqualTo(data));
    }

    [Test]
    public void ReadFromMemory_ChannelProgrammedForWrite_Refused()
    {
        ProgramChannel2(ModeSingleWriteCh2, 0x1000, 0x02, 15);

        Assert.That(_dma.GetChannel(2).ReadFromMemory(new byte[16]), Is.Zero);
    }

    [Test]
    public void WriteTransfer_AddressDecrement_StoresDownwards()
    {
        ProgramChannel2(ModeSingleWriteDecrementCh2, 0x1003, 0x00, 3);

        _dma.GetChannel(2).WriteToMemory(new byte[] { 1, 2, 3, 4 });

        Assert.That(_memory.Bytes.AsSpan(0x1000, 4).ToArray(), Is.EqualTo(new byte[] { 4, 3, 2, 1 }));
    }

    [Test]
    public void WriteTransfer_AddressCrosses64K_WrapsInsidePage()
    {
        ProgramChannel2(ModeSingleWriteCh2, 0xFFFE, 0x01, 3);

        _dma.GetChannel(2).WriteToMemory(new byte[] { 1, 2, 3, 4 });

        Assert.Multiple(() =>
        {
            Assert.That(_memory.Bytes.AsSpan(0x1FFFE, 2).ToArray(), Is.EqualTo(new byte[] { 1, 2 }));
            Assert.That(_memory.Bytes.AsSpan(0x10000, 2).ToArray(), Is.EqualTo(new byte[] { 3, 4 }));
        });
    }

    [Test]
    public void Transfer_MaskedChannel_MovesNothing()
    {
        ProgramChannel2(ModeSingleWriteCh2, 0x1000, 0x02, 15);
        _bus.WriteByte(SingleMask, MaskCh2);

        Assert.That(_dma.GetChannel(2).WriteToMemory(Pattern(16)), Is.Zero);
    }

    [Test]
    public void Status_Read_ClearsTcBits()
    {
        ProgramChannel2(ModeSingleWriteCh2, 0x1000, 0x02, 15);
        _dma.GetChannel(2).WriteToMemory(Pattern(16));
        _bus.ReadByte(Status);

        Assert.That(_bus.ReadByte(Status) & 0x0F, Is.Zero);
    }

    [Test]
    public void Status_DeviceRequest_ShowsInHighNibble()
    {
        _dma.GetChannel(2).SetRequest(true);

        Assert.That(_bus.ReadByte(Status) & 0xF0, Is.EqualTo(0x40));
    }

    [Test]
    public void MasterClear_MasksAllChannels()
    {
        ProgramChannel2(ModeSingleWriteCh2, 0x1000, 0x02, 15);

        _bus.WriteByte(MasterClear, 0);

        Assert.That(_bus.ReadByte(AllMask) & 0x0F, Is.EqualTo(0x0F));
    }

    [Test]
    public void PageRegister_Written_ReadsBack()
    {
        _bus.WriteByte(Ch2Page, 0x0A);

        Assert.That(_bus.ReadByte(Ch2Page), Is.EqualTo(0x0A));
    }

    [Test]
    public void SixteenBitChannel5_WordAddressing_DataAtTwiceAddressInEvenPage()
    {
        _bus.WriteByte(SingleMask2, 0x05);
        _bus.WriteByte(ClearFlipFlop2, 0);
        _bus.WriteByte(Mode2, ModeSingleWriteCh5);
        _bus.WriteByte(Ch5Address, 0x00);
        _bus.WriteByte(Ch5Address, 0x08);
        _bus.WriteByte(Ch5Count, 1);
        _bus.WriteByte(Ch5Count, 0);
        _bus.WriteByte(Ch5Page, 0x03);
        _bus.WriteByte(SingleMask2, UnmaskCh5);

        var moved = _dma.GetChannel(5).WriteToMemory(new byte[] { 1, 2, 3, 4, 5, 6 });

        Assert.Multiple(() =>
        {
            Assert.That(moved, Is.EqualTo(4));
            Assert.That(_memory.Bytes.AsSpan(0x21000, 5).ToArray(), Is.EqualTo(new byte[] { 1, 2, 3, 4, 0 }));
        });
    }

    [Test]
    public void HighPageRegister_Written_AddressesAbove16MiB()
    {
        ProgramChannel2(ModeSingleWriteCh2, 0x1000, 0x02, 15);

        _bus.WriteByte(0x481, 0x01);

        Assert.That(_dma.GetChannel(2).CurrentPhysicalAddress, Is.EqualTo(0x0102_1000UL));
    }

    [Test]
    public void LowPageRegister_Written_ClearsHighPage()
    {
        _bus.WriteByte(0x481, 0x01);

        _bus.WriteByte(Ch2Page, 0x02);

        Assert.That(_bus.ReadByte(0x481), Is.Zero);
    }

    [Test]
    public void VerifyMode_CountsWithoutTouchingMemory()
    {
        ProgramChannel2(0x42, 0x1000, 0x02, 15);

        var moved = _dma.GetChannel(2).Transfer(Pattern(16));

        Assert.Multiple(() =>
        {
            Assert.That(moved, Is.EqualTo(16));
            Assert.That(_memory.Bytes.AsSpan(0x21000, 16).ToArray(), Is.All.Zero);
            Assert.That(_dma.GetChannel(2).TerminalCountReached, Is.True);
        });
    }

    [Test]
    public void ControllerDisabled_TransferMovesNothing()
    {
        ProgramChannel2(ModeSingleWriteCh2, 0x1000, 0x02, 15);

        _bus.WriteByte(Status, 0x04);

        Assert.That(_dma.GetChannel(2).WriteToMemory(Pattern(16)), Is.Zero);
    }

    [Test]
    public void ReadTransfer_AddressOutsideRam_DeviceGetsFloatingBus()
    {
        ProgramChannel2(ModeSingleReadCh2, 0x0000, 0x80, 3);
        var buffer = new byte[4];

        _dma.GetChannel(2).ReadFromMemory(buffer);

        Assert.That(buffer, Is.All.EqualTo(0xFF));
    }
}
