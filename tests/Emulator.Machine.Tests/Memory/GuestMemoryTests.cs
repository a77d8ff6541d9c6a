using Emulator.Machine.Memory;

namespace Emulator.Machine.Tests.Memory;

public class GuestMemoryTests
{
    private const int RamSize = 2 << 20;
    private const int BiosSize = 64 * 1024;
    private const uint BiosLowAddress = 0xF_0000;
    private const uint BiosHighAlias = 0xFFFF_0000;
    private const uint ResetVectorOffset = 0xFFF0;
    private const uint OneMegabyte = 0x10_0000;
    private const uint FrameBuffer = 0xB_8000;

    private sealed class RecordingMmio : IMmioDevice
    {
        public List<(uint Address, AccessWidth Width, uint Value)> Writes { get; } = [];

        public uint Read(uint address, AccessWidth width) => 0x1234_5678 & (width == AccessWidth.Dword ? 0xFFFF_FFFF : (1u << (8 * (int)width)) - 1);

        public void Write(uint address, AccessWidth width, uint value) => Writes.Add((address, width, value));
    }

    [Test]
    public void ReadDword_PastEndOfRam_ReadsAllOnes()
    {
        var memory = new GuestMemory(RamSize);

        Assert.That(memory.ReadDword(RamSize + 0x100u), Is.EqualTo(0xFFFF_FFFF));
    }

    [Test]
    public void WriteByte_PastEndOfRam_IsDropped()
    {
        var memory = new GuestMemory(RamSize);

        memory.WriteByte(RamSize + 4u, 0x12);

        Assert.That(memory.ReadByte(RamSize + 4u), Is.EqualTo(0xFF));
    }

    [Test]
    public void LoadBios_ResetVector_ReadableAtTopOfFirstMegabyteAndTopOf4GiB()
    {
        var memory = new GuestMemory(RamSize);
        var bios = new byte[BiosSize];
        bios[ResetVectorOffset] = 0xEA;

        memory.LoadBios(bios);

        Assert.That(memory.ReadByte(BiosLowAddress + ResetVectorOffset), Is.EqualTo(0xEA));
        Assert.That(memory.ReadByte(BiosHighAlias + ResetVectorOffset), Is.EqualTo(0xEA));
    }

    [Test]
    public void WriteWord_IntoBios_IsDropped()
    {
        var memory = new GuestMemory(RamSize);
        memory.LoadBios(new byte[BiosSize]);

        memory.WriteWord(BiosLowAddress + 0x10, 0xBEEF);

        Assert.That(memory.ReadWord(BiosLowAddress + 0x10), Is.Zero);
    }

    [Test]
    public void A20Disabled_AddressAboveOneMegabyte_WrapsToZero()
    {
        var memory = new GuestMemory(RamSize);
        memory.WriteByte(0x10, 0x5A);

        memory.A20Enabled = false;

        Assert.That(memory.ReadByte(OneMegabyte + 0x10), Is.EqualTo(0x5A));
    }

    [Test]
    public void A20Enabled_AddressAboveOneMegabyte_IsDistinct()
    {
        var memory = new GuestMemory(RamSize);
        memory.WriteByte(0x10, 0x5A);

        memory.A20Enabled = true;

        Assert.That(memory.ReadByte(OneMegabyte + 0x10), Is.Zero);
    }

    [Test]
    public void RegisterMmio_WordWrite_ReachesDeviceWithAddressAndWidth()
    {
        var memory = new GuestMemory(RamSize);
        var device = new RecordingMmio();
        memory.RegisterMmio(FrameBuffer, 0x8000, device);

        memory.WriteWord(FrameBuffer + 2, 0x0741);

        Assert.That(device.Writes, Is.EqualTo(new[] { (FrameBuffer + 2, AccessWidth.Word, 0x0741u) }));
        Assert.That(memory.ReadWord(FrameBuffer), Is.EqualTo(0x5678));
    }

    [Test]
    public void WriteSpan_Mmio_WidestAlignedAccessesAsQemu()
    {
        var memory = new GuestMemory(RamSize);
        var device = new RecordingMmio();
        memory.RegisterMmio(FrameBuffer, 0x8000, device);

        memory.Write(FrameBuffer + 2, [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]);

        Assert.That(device.Writes, Is.EqualTo(new[]
        {
            (FrameBuffer + 2, AccessWidth.Word, 0x0201u),
            (FrameBuffer + 4, AccessWidth.Dword, 0x0605_0403u),
            (FrameBuffer + 8, AccessWidth.Byte, 0x07u),
        }));
    }

    [Test]
    public void ReadSpan_MmioDword_OneDwordAccessLittleEndian()
    {
        var memory = new GuestMemory(RamSize);
        memory.RegisterMmio(FrameBuffer, 0x8000, new RecordingMmio());
        var data = new byte[4];

        memory.Read(FrameBuffer, data);

        Assert.That(data, Is.EqualTo(new byte[] { 0x78, 0x56, 0x34, 0x12 }), "byte accesses would give 0x78 four times");
    }

    [Test]
    public void RegisterMmio_OverlappingRange_Throws()
    {
        var memory = new GuestMemory(RamSize);
        memory.RegisterMmio(FrameBuffer, 0x8000, new RecordingMmio());

        Assert.That(() => memory.RegisterMmio(FrameBuffer + 0x1000, 0x1000, new RecordingMmio()), Throws.InvalidOperationException);
    }

    [Test]
    public void TryWrite_RangeEndingPastRam_ReturnsFalseAndWritesNothing()
    {
        var memory = new GuestMemory(RamSize);

        var accepted = memory.TryWrite(RamSize - 2, new byte[] { 1, 2, 3, 4 });

        Assert.That(accepted, Is.False);
        Assert.That(memory.ReadWord(RamSize - 2), Is.Zero);
    }

    [Test]
    public void TryRead_HugeAddress_ReturnsFalse()
    {
        var memory = new GuestMemory(RamSize);

        Assert.That(memory.TryRead(ulong.MaxValue - 1, new byte[4]), Is.False);
    }

    [Test]
    public void TryWriteThenTryRead_InsideRam_RoundTrips()
    {
        var memory = new GuestMemory(RamSize);
        byte[] data = [9, 8, 7, 6, 5];
        var back = new byte[5];

        var wrote = memory.TryWrite(0x1_0FFE, data);
        var read = memory.TryRead(0x1_0FFE, back);

        Assert.That(wrote && read, Is.True);
        Assert.That(back, Is.EqualTo(data));
    }

    [Test]
    public void ReadDword_AcrossPageBoundary_AssemblesBytes()
    {
        var memory = new GuestMemory(RamSize);
        memory.Write(0x1FFE, [0x11, 0x22, 0x33, 0x44]);

        Assert.That(memory.ReadDword(0x1FFE), Is.EqualTo(0x4433_2211));
    }
}
