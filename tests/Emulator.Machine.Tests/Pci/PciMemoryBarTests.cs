using Emulator.Machine.Bus;
using Emulator.Machine.Loop;
using Emulator.Machine.Pci;

namespace Emulator.Machine.Tests.Pci;

/// <summary>Memory BARs decode in guest physical memory once programmed with memory space enabled, and MSI messages are memory writes.</summary>
public class PciMemoryBarTests
{
    private const ushort ConfigAddress = 0xCF8;
    private const ushort ConfigData = 0xCFC;
    private const int Slot = 7;
    private const uint BarBase = 0xE000_0000;
    private const uint MovedBase = 0xE010_0000;
    private const int CommandRegister = 0x04;
    private const int Bar1 = 0x14;
    private const ushort MemorySpace = 0x2;

    private PcMachine _machine = null!;
    private MmioDevice _device = null!;

    private sealed class MmioDevice : PciFunction
    {
        public MmioDevice()
            : base(0x1234, 0x5678, 0xFF_00_00)
        {
            AddMemoryBar(1, 0x1000);
        }

        public List<(int Bar, ulong Offset, int Size, ulong Value)> Writes { get; } = [];

        public override ulong MemoryRead(int bar, ulong offset, int size) => 0xC0DE_0000 + offset;

        public override void MemoryWrite(int bar, ulong offset, int size, ulong value) => Writes.Add((bar, offset, size, value));

        public void SendMsi(ulong address, uint data) => Bus!.Msi!.Deliver(address, data);
    }

    [SetUp]
    public void SetUp()
    {
        _machine = new PcMachine(new PcMachineOptions { RunCpu = false });
        _device = new MmioDevice();
        _machine.Chipset.PciBus.Register(Slot, 0, _device);
    }

    private void Config(int offset, PortWidth width, uint value)
    {
        _machine.Ports.Write(ConfigAddress, PortWidth.Dword, 0x8000_0000u | (Slot << 11) | (uint)(offset & 0xFC));
        _machine.Ports.Write((ushort)(ConfigData + (offset & 3)), width, value);
    }

    [Test]
    public void Bar_ProgrammedAndEnabled_ReadsReachDeviceWithOffset()
    {
        Config(Bar1, PortWidth.Dword, BarBase);
        Config(CommandRegister, PortWidth.Word, MemorySpace);

        Assert.That(_machine.Memory.ReadDword(BarBase + 0x24), Is.EqualTo(0xC0DE_0024u));
    }

    [Test]
    public void Bar_Write_ReachesDeviceWithWidth()
    {
        Config(Bar1, PortWidth.Dword, BarBase);
        Config(CommandRegister, PortWidth.Word, MemorySpace);

        _machine.Memory.WriteWord(BarBase + 0x10, 0xBEEF);

        Assert.That(_device.Writes, Is.EqualTo(new[] { (1, 0x10UL, 2, 0xBEEFUL) }));
    }

    [Test]
    public void Bar_MemorySpaceDisabled_Unmapped()
    {
        Config(Bar1, PortWidth.Dword, BarBase);
        Config(CommandRegister, PortWidth.Word, MemorySpace);

        Config(CommandRegister, PortWidth.Word, 0);

        Assert.That(_machine.Memory.ReadDword(BarBase), Is.EqualTo(0xFFFF_FFFFu));
    }

    [Test]
    public void Bar_Moved_OldRangeFloatsNewRangeDecodes()
    {
        Config(Bar1, PortWidth.Dword, BarBase);
        Config(CommandRegister, PortWidth.Word, MemorySpace);

        Config(Bar1, PortWidth.Dword, MovedBase);

        Assert.Multiple(() =>
        {
            Assert.That(_machine.Memory.ReadDword(BarBase), Is.EqualTo(0xFFFF_FFFFu));
            Assert.That(_machine.Memory.ReadDword(MovedBase + 4), Is.EqualTo(0xC0DE_0004u));
            Assert.That(_machine.PciMemoryBars.GetMappedAddress(_device, 1), Is.EqualTo(MovedBase));
        });
    }

    [Test]
    public void Bar_OverIoApic_RefusedWithoutThrowing()
    {
        Config(CommandRegister, PortWidth.Word, MemorySpace);

        Config(Bar1, PortWidth.Dword, 0xFEC0_0000);

        Assert.That(_machine.PciMemoryBars.GetMappedAddress(_device, 1), Is.Null);
    }

    [Test]
    public void Bar_OverRamThenAway_RamComesBack()
    {
        const uint ramAddress = 0x0040_0000;
        _machine.Memory.WriteDword(ramAddress, 0x1122_3344);
        Config(Bar1, PortWidth.Dword, ramAddress);
        Config(CommandRegister, PortWidth.Word, MemorySpace);
        var hidden = _machine.Memory.ReadDword(ramAddress);

        Config(Bar1, PortWidth.Dword, BarBase);

        Assert.Multiple(() =>
        {
            Assert.That(hidden, Is.EqualTo(0xC0DE_0000u));
            Assert.That(_machine.Memory.ReadDword(ramAddress), Is.EqualTo(0x1122_3344u));
        });
    }

    [Test]
    public void Msi_ToRamAddress_WritesDataDword()
    {
        _device.SendMsi(0x0008_0000, 0xABCD_0041);

        Assert.Multiple(() =>
        {
            Assert.That(_machine.Memory.ReadDword(0x0008_0000), Is.EqualTo(0xABCD_0041u));
            Assert.That(_machine.Chipset.PciBus.Msi!.InterruptCount, Is.Zero);
        });
    }

    [Test]
    public void Msi_ToApicWindow_RecordedAsInterrupt()
    {
        var seen = new List<MsiMessage>();
        _machine.Chipset.PciBus.Msi!.InterruptRequested += seen.Add;

        _device.SendMsi(0xFEE0_0000, 0x0000_4031);

        Assert.Multiple(() =>
        {
            Assert.That(seen, Is.EqualTo(new[] { new MsiMessage(0xFEE0_0000, 0x4031) }));
            Assert.That(seen[0].Vector, Is.EqualTo(0x31));
            Assert.That(_machine.Chipset.PciBus.Msi.LastInterrupt, Is.EqualTo(new MsiMessage(0xFEE0_0000, 0x4031)));
        });
    }

    [Test]
    public void Msi_OutsideRam_Dropped()
    {
        Assert.DoesNotThrow(() => _device.SendMsi(0xF000_0000, 1));
    }
}
