using Emulator.Machine.Memory;

namespace Emulator.Machine.Tests.Memory;

/// <summary>
/// MMIO reaches a device with the width the access had: CPU accessors one access each, buffer runs
/// (qtest's write verbs, REP MOVS-style copies) split as QEMU's memory_access_size splits them —
/// naturally aligned, at most 4 bytes, never past the device's range — and the 64-bit physical view
/// that neither wraps at 4 GiB nor refuses what lies above it.
/// </summary>
public class GuestMemoryMmioWidthTests
{
    private const int RamSize = 1 << 20;
    private const uint Base = 0xFE00_0000;
    private const uint Length = 0x1000;

    private sealed class RecordingMmio : IMmioDevice
    {
        public List<(uint Address, AccessWidth Width, uint Value)> Writes { get; } = [];

        public List<(uint Address, AccessWidth Width)> Reads { get; } = [];

        /// <summary>Each byte reads as its address's low byte, so a read's value shows which bytes it covered.</summary>
        public uint Read(uint address, AccessWidth width)
        {
            Reads.Add((address, width));
            uint value = 0;
            for (var i = 0; i < (int)width; i++)
            {
                value |= (uint)(byte)(address + i) << (8 * i);
            }

            return value;
        }

        public void Write(uint address, AccessWidth width, uint value) => Writes.Add((address, width, value));
    }

    private static (GuestMemory Memory, RecordingMmio Device) Map()
    {
        var memory = new GuestMemory(RamSize);
        var device = new RecordingMmio();
        memory.RegisterMmio(Base, Length, device);
        return (memory, device);
    }

    [Test]
    public void Write_FourBytesAligned_OneDwordAccess()
    {
        var (memory, device) = Map();

        memory.Write(Base + 4, [0x04, 0x03, 0x02, 0x01]);

        Assert.That(device.Writes, Is.EqualTo(new[] { (Base + 4, AccessWidth.Dword, 0x0102_0304u) }));
    }

    [Test]
    public void Write_EightBytesAligned_TwoDwordsLowFirst()
    {
        var (memory, device) = Map();

        memory.Write(Base + 8, BitConverter.GetBytes(0x1122_3344_5566_7788UL));

        Assert.That(device.Writes, Is.EqualTo(new[] { (Base + 8, AccessWidth.Dword, 0x5566_7788u), (Base + 12, AccessWidth.Dword, 0x1122_3344u) }));
    }

    [Test]
    public void Write_FourBytesAtOddAddress_ByteWordByte()
    {
        var (memory, device) = Map();

        memory.Write(Base + 1, [0xAA, 0xBB, 0xCC, 0xDD]);

        Assert.That(device.Writes, Is.EqualTo(new[]
        {
            (Base + 1, AccessWidth.Byte, 0xAAu), (Base + 2, AccessWidth.Word, 0xCCBBu), (Base + 4, AccessWidth.Byte, 0xDDu),
        }));
    }

    [Test]
    public void Write_RunOverTheRangeEnd_LastBytesAloneAndRestDropped()
    {
        var (memory, device) = Map();

        memory.Write(Base + Length - 2, [0x01, 0x02, 0x03, 0x04]);

        Assert.That(device.Writes, Is.EqualTo(new[] { (Base + Length - 2, AccessWidth.Word, 0x0201u) }));
    }

    [Test]
    public void Read_TwoBytesAligned_OneWordAccess()
    {
        var (memory, device) = Map();
        var data = new byte[2];

        memory.Read(Base + 0x22, data);

        Assert.Multiple(() =>
        {
            Assert.That(device.Reads, Is.EqualTo(new[] { (Base + 0x22, AccessWidth.Word) }));
            Assert.That(data, Is.EqualTo(new byte[] { 0x22, 0x23 }));
        });
    }

    [Test]
    public void WriteDword_Cpu_OneDwordAccess()
    {
        var (memory, device) = Map();

        memory.WriteDword(Base, 0x0102_0304);

        Assert.That(device.Writes, Is.EqualTo(new[] { (Base, AccessWidth.Dword, 0x0102_0304u) }));
    }

    [Test]
    public void WritePhysical_AcrossFourGiB_NoWrapToAddressZero()
    {
        var memory = new GuestMemory(RamSize);

        memory.WritePhysical(0xFFFF_FFFE, [0x11, 0x22, 0x33, 0x44]);

        Assert.That(memory.ReadDword(0), Is.Zero);
    }

    [Test]
    public void ReadPhysical_AboveFourGiB_ZerosAsQemuUnassigned()
    {
        var memory = new GuestMemory(RamSize);
        memory.Write(0, [0x99, 0x99, 0x99, 0x99]);
        var data = new byte[8];
        Array.Fill(data, (byte)0x55);

        memory.ReadPhysical(0x1_0000_0000, data);

        Assert.That(data, Is.All.Zero);
    }

    [Test]
    public void ReadPhysical_AcrossFourGiB_TopBytesThenZeros()
    {
        var memory = new GuestMemory(RamSize);
        memory.LoadBios(Enumerable.Range(0, 64 << 10).Select(i => (byte)(i | 1)).ToArray());
        var data = new byte[4];

        memory.ReadPhysical(0xFFFF_FFFE, data);

        Assert.That(data, Is.EqualTo(new byte[] { 0xFF, 0xFF, 0, 0 }));
    }
}
