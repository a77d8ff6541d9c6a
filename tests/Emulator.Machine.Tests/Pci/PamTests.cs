using Emulator.Machine.Bus;
using Emulator.Machine.Loop;

namespace Emulator.Machine.Tests.Pci;

/// <summary>
/// The i440FX's PAM registers (440FX datasheet 290549, 3.2.18) switching 0xC0000-0xFFFFF between DRAM
/// and the PCI side, driven through configuration ports and guest memory as QEMU's i440fx-test does.
/// </summary>
public class PamTests
{
    private const ushort ConfigAddress = 0xCF8;
    private const ushort ConfigData = 0xCFC;
    private const uint Enable = 0x8000_0000;
    private const int Pam0 = 0x59;
    private const int Pam1 = 0x5A;
    private const uint BiosArea = 0xF0000;
    private const uint FirstOptionRomSegment = 0xC0000;
    private const uint SecondOptionRomSegment = 0xC4000;
    private const byte ReadEnable = 0x1;
    private const byte WriteEnable = 0x2;
    private const int HighField = 4;

    private PcMachine _machine = null!;

    [SetUp]
    public void SetUp()
    {
        _machine = new PcMachine(new PcMachineOptions { RunCpu = false, RtcStartTime = new DateTime(2026, 1, 1) });
        var rom = new byte[0x10000];
        rom.AsSpan().Fill(0xA5);
        _machine.LoadFirmware(rom);
        _machine.Start();
    }

    private void WritePam(int register, byte value)
    {
        _machine.Ports.Write(ConfigAddress, PortWidth.Dword, Enable | (uint)(register & 0xFC));
        _machine.Ports.Write((ushort)(ConfigData + (register & 3)), PortWidth.Byte, value);
    }

    private void Fill(uint address, int length, byte value)
    {
        var bytes = new byte[length];
        bytes.AsSpan().Fill(value);
        _machine.Memory.Write(address, bytes);
    }

    private byte[] Read(uint address, int length)
    {
        var bytes = new byte[length];
        _machine.Memory.Read(address, bytes);
        return bytes;
    }

    [Test]
    public void PowerOn_BiosArea_ReadsTheRom()
    {
        Assert.That(Read(BiosArea, 16), Is.All.EqualTo(0xA5));
    }

    [Test]
    public void ReadEnable_BiosArea_ReadsDramNotRom()
    {
        WritePam(Pam0, ReadEnable << HighField);

        Assert.That(Read(BiosArea, 16), Is.All.EqualTo(0));
    }

    [Test]
    public void ReadWrite_ThenReadOnly_WritesLostDataKept()
    {
        WritePam(Pam1, ReadEnable | WriteEnable);
        Fill(FirstOptionRomSegment, 0x4000, 0x42);
        WritePam(Pam1, ReadEnable);
        Fill(FirstOptionRomSegment, 0x4000, 0x82);

        Assert.That(Read(FirstOptionRomSegment, 0x4000), Is.All.EqualTo(0x42));
    }

    [Test]
    public void BackToPci_DramHiddenThenBackUnchanged()
    {
        WritePam(Pam0, (ReadEnable | WriteEnable) << HighField);
        Fill(BiosArea, 0x10000, 0x82);
        WritePam(Pam0, 0);
        var pciSide = Read(BiosArea, 16);
        WritePam(Pam0, ReadEnable << HighField);

        Assert.Multiple(() =>
        {
            Assert.That(pciSide, Is.All.EqualTo(0xA5), "PCI side: the ROM");
            Assert.That(Read(BiosArea, 0x10000), Is.All.EqualTo(0x82), "DRAM kept under the ROM");
        });
    }

    [Test]
    public void Pam1HighField_SecondSegmentOnly()
    {
        WritePam(Pam1, (ReadEnable | WriteEnable) << HighField);
        Fill(FirstOptionRomSegment, 0x8000, 0x42);

        Assert.Multiple(() =>
        {
            Assert.That(Read(FirstOptionRomSegment, 0x4000), Is.All.EqualTo(0), "C0000 stays on PCI (read-only zeros)");
            Assert.That(Read(SecondOptionRomSegment, 0x4000), Is.All.EqualTo(0x42), "C4000 is DRAM");
        });
    }

    [Test]
    public void SystemReset_PamCleared_BiosAreaShowsRomAgain()
    {
        WritePam(Pam0, (ReadEnable | WriteEnable) << HighField);
        Fill(BiosArea, 16, 0x82);

        _machine.Chipset.HostBridge.Reset();

        Assert.That(Read(BiosArea, 16), Is.All.EqualTo(0xA5));
    }
}
