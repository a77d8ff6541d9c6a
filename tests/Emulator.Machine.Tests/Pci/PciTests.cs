using Emulator.Machine.Bus;
using Emulator.Machine.Interrupts;
using Emulator.Machine.Pci;

namespace Emulator.Machine.Tests.Pci;

public class PciTests
{
    private const ushort ConfigAddress = 0xCF8;
    private const ushort ConfigData = 0xCFC;
    private const uint Enable = 0x8000_0000;
    private const int TestSlot = 3;
    private const ushort TestIoBase = 0xC100;

    private IoPortBus _bus = null!;
    private PciBus _pci = null!;
    private Piix3IsaBridge _piix3 = null!;
    private TestDevice _device = null!;
    private int _resets;

    private sealed class TestDevice : PciFunction
    {
        public TestDevice()
            : base(0x1AF4, 0x1001, 0x01_00_00)
        {
            AddIoBar(0, 16);
            AddMemoryBar(1, 4096);
            CapabilityOffset = AddCapability(0x09, 8);
            SetInterruptPin(1);
        }

        public int CapabilityOffset { get; }

        public List<(int Bar, int Offset, uint Value)> Writes { get; } = [];

        public override uint IoRead(int bar, int offset, PortWidth width) => (uint)(0xA0 + offset);

        public override void IoWrite(int bar, int offset, PortWidth width, uint value) => Writes.Add((bar, offset, value));
    }

    private sealed class RecordingSink : IIsaIrqSink
    {
        public bool[] Levels { get; } = new bool[16];

        public void SetIrq(int irq, bool level) => Levels[irq] = level;
    }

    [SetUp]
    public void SetUp()
    {
        _bus = new IoPortBus();
        var window = new PciIoWindow();
        _pci = new PciBus(window);
        _piix3 = new Piix3IsaBridge();
        _device = new TestDevice();
        _pci.Register(0, 0, new I440fxHostBridge());
        _pci.Register(1, 0, _piix3);
        _pci.Register(TestSlot, 0, _device);
        _resets = 0;
        new PciConfigPorts(_pci, () => _resets++).RegisterPorts(_bus);
        window.RegisterPorts(_bus);
        _bus.Freeze();
    }

    private static uint Address(int device, int function, int offset) =>
        Enable | (uint)(device << 11) | (uint)(function << 8) | (uint)(offset & 0xFC);

    private uint Read(int device, int function, int offset, PortWidth width = PortWidth.Dword)
    {
        _bus.Write(ConfigAddress, PortWidth.Dword, Address(device, function, offset));
        return _bus.Read((ushort)(ConfigData + (offset & 3)), width);
    }

    private void Write(int device, int function, int offset, uint value, PortWidth width = PortWidth.Dword)
    {
        _bus.Write(ConfigAddress, PortWidth.Dword, Address(device, function, offset));
        _bus.Write((ushort)(ConfigData + (offset & 3)), width, value);
    }

    [Test]
    public void HostBridge_VendorAndDevice_8086_1237()
    {
        Assert.That(Read(0, 0, 0x00), Is.EqualTo(0x1237_8086u));
    }

    [Test]
    public void HostBridge_ClassAndRevision_HostBridgeRev02()
    {
        Assert.That(Read(0, 0, 0x08), Is.EqualTo(0x0600_0002u));
    }

    [Test]
    public void IsaBridge_VendorAndDevice_8086_7000()
    {
        Assert.That(Read(1, 0, 0x00), Is.EqualTo(0x7000_8086u));
    }

    [Test]
    public void IsaBridge_HeaderType_MultiFunction()
    {
        Assert.That(Read(1, 0, 0x0E, PortWidth.Byte), Is.EqualTo(0x80u));
    }

    [Test]
    public void IsaBridge_Class_IsaBridge()
    {
        Assert.That(Read(1, 0, 0x08) >> 8, Is.EqualTo(0x06_01_00u));
    }

    [Test]
    public void IsaBridge_CommandAndStatus_ResetValues()
    {
        Assert.That(Read(1, 0, 0x04), Is.EqualTo(0x0200_0007u));
    }

    [Test]
    public void UnpopulatedSlot_VendorReadsFFFF()
    {
        Assert.That(Read(0x1F, 0, 0x00, PortWidth.Word), Is.EqualTo(0xFFFFu));
    }

    [Test]
    public void EnableBitClear_DataReadsAllOnes()
    {
        _bus.Write(ConfigAddress, PortWidth.Dword, 0);

        Assert.That(_bus.Read(ConfigData, PortWidth.Dword), Is.EqualTo(0xFFFF_FFFFu));
    }

    [Test]
    public void OtherBus_DataReadsAllOnes()
    {
        _bus.Write(ConfigAddress, PortWidth.Dword, Enable | (1u << 16));

        Assert.That(_bus.Read(ConfigData, PortWidth.Dword), Is.EqualTo(0xFFFF_FFFFu));
    }

    [Test]
    public void ConfigAddress_Written_ReadsBack()
    {
        _bus.Write(ConfigAddress, PortWidth.Dword, Enable);

        Assert.That(_bus.Read(ConfigAddress, PortWidth.Dword), Is.EqualTo(Enable));
    }

    [Test]
    public void ConfigAddress_LowBitsSet_SelectRegisterReadAt0xCFC()
    {
        _bus.Write(ConfigAddress, PortWidth.Dword, Address(1, 0, 0) | 0x02);

        Assert.That(_bus.Read(ConfigData, PortWidth.Word), Is.EqualTo(0x7000u));
        Assert.That(_bus.Read(ConfigAddress, PortWidth.Dword), Is.EqualTo(Address(1, 0, 0) | 0x02));
    }

    [Test]
    public void ByteRead_At0xCFE_ReturnsDeviceIdLowByte()
    {
        Assert.That(Read(0, 0, 0x02, PortWidth.Byte), Is.EqualTo(0x37u));
    }

    [Test]
    public void WordRead_At0xCFE_ReturnsDeviceId()
    {
        Assert.That(Read(0, 0, 0x02, PortWidth.Word), Is.EqualTo(0x1237u));
    }

    [Test]
    public void VendorId_GuestWrite_IsReadOnly()
    {
        Write(0, 0, 0x00, 0);

        Assert.That(Read(0, 0, 0x00, PortWidth.Word), Is.EqualTo(0x8086u));
    }

    [Test]
    public void Command_AllOnesWritten_OnlyImplementedBitsStick()
    {
        Write(TestSlot, 0, 0x04, 0xFFFF, PortWidth.Word);

        Assert.That(Read(TestSlot, 0, 0x04, PortWidth.Word), Is.EqualTo(0x0547u));
    }

    [Test]
    public void PirqRoute_Reset_RoutingDisabled()
    {
        Assert.That(Read(1, 0, 0x60), Is.EqualTo(0x8080_8080u));
    }

    [Test]
    public void PirqRoute_WrittenIrq11_ReadsBackAndRoutes()
    {
        Write(1, 0, 0x60, 0x0B, PortWidth.Byte);

        Assert.Multiple(() =>
        {
            Assert.That(Read(1, 0, 0x60, PortWidth.Byte), Is.EqualTo(0x0Bu));
            Assert.That(_piix3.GetPirqRoute(0), Is.EqualTo(11));
        });
    }

    [Test]
    public void IoBar_AllOnesWritten_ReadsSizeMaskWithIoBit()
    {
        Write(TestSlot, 0, 0x10, 0xFFFF_FFFF);

        Assert.That(Read(TestSlot, 0, 0x10), Is.EqualTo(0xFFFF_FFF1u));
    }

    [Test]
    public void MemoryBar_AllOnesWritten_ReadsSizeMask()
    {
        Write(TestSlot, 0, 0x14, 0xFFFF_FFFF);

        Assert.That(Read(TestSlot, 0, 0x14), Is.EqualTo(0xFFFF_F000u));
    }

    [Test]
    public void IoBar_ProgrammedAndIoEnabled_PortReachesDevice()
    {
        Write(TestSlot, 0, 0x10, TestIoBase);
        Write(TestSlot, 0, 0x04, 0x0001, PortWidth.Word);

        Assert.That(_bus.ReadByte(TestIoBase + 5), Is.EqualTo(0xA5));
    }

    [Test]
    public void IoBar_WriteThroughWindow_DeviceSeesBarOffsetAndValue()
    {
        Write(TestSlot, 0, 0x10, TestIoBase);
        Write(TestSlot, 0, 0x04, 0x0001, PortWidth.Word);

        _bus.Write(TestIoBase + 4, PortWidth.Word, 0x1234);

        Assert.That(_device.Writes, Is.EqualTo(new[] { (0, 4, 0x1234u) }));
    }

    [Test]
    public void IoBar_IoSpaceDisabled_PortFloatsHigh()
    {
        Write(TestSlot, 0, 0x10, TestIoBase);

        Assert.That(_bus.ReadByte(TestIoBase), Is.EqualTo(0xFF));
    }

    [Test]
    public void IoBar_Moved_OldPortFloatsNewPortDecodes()
    {
        Write(TestSlot, 0, 0x04, 0x0001, PortWidth.Word);
        Write(TestSlot, 0, 0x10, TestIoBase);

        Write(TestSlot, 0, 0x10, TestIoBase + 0x100);

        Assert.Multiple(() =>
        {
            Assert.That(_bus.ReadByte(TestIoBase), Is.EqualTo(0xFF));
            Assert.That(_bus.ReadByte(TestIoBase + 0x100), Is.EqualTo(0xA0));
        });
    }

    [Test]
    public void Unregister_MappedFunction_SlotAndIoBarFloatHigh()
    {
        Write(TestSlot, 0, 0x10, TestIoBase);
        Write(TestSlot, 0, 0x04, 0x0001, PortWidth.Word);

        var removed = _pci.Unregister(TestSlot, 0);

        Assert.Multiple(() =>
        {
            Assert.That(removed, Is.SameAs(_device));
            Assert.That(Read(TestSlot, 0, 0x00), Is.EqualTo(0xFFFF_FFFFu));
            Assert.That(_bus.ReadByte(TestIoBase), Is.EqualTo(0xFF));
            Assert.That(_device.Bus, Is.Null);
        });
    }

    [Test]
    public void Unregister_EnabledMemoryBar_AnnouncedGone()
    {
        var seen = new List<ulong?>();
        Write(TestSlot, 0, 0x14, 0xFEBF_0000);
        Write(TestSlot, 0, 0x04, 0x0002, PortWidth.Word);
        _pci.MemoryBarChanged += (_, _, _, now) => seen.Add(now);

        _pci.Unregister(TestSlot, 0);

        Assert.That(seen, Is.EqualTo(new ulong?[] { null }));
    }

    [Test]
    public void MemoryBar_ProgrammedAndEnabled_RaisesMemoryBarChanged()
    {
        var seen = new List<ulong?>();
        _pci.MemoryBarChanged += (_, _, _, now) => seen.Add(now);

        Write(TestSlot, 0, 0x14, 0xFEBF_0000);
        Write(TestSlot, 0, 0x04, 0x0002, PortWidth.Word);

        Assert.That(seen, Is.EqualTo(new ulong?[] { 0xFEBF_0000 }));
    }

    [Test]
    public void Capability_Added_StatusBitPointerAndId()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Read(TestSlot, 0, 0x06, PortWidth.Word) & 0x10, Is.EqualTo(0x10u));
            Assert.That(Read(TestSlot, 0, 0x34, PortWidth.Byte), Is.EqualTo((uint)_device.CapabilityOffset));
            Assert.That(Read(TestSlot, 0, _device.CapabilityOffset, PortWidth.Byte), Is.EqualTo(0x09u));
        });
    }

    [Test]
    public void InterruptLine_Writable_PinReadOnly()
    {
        Write(TestSlot, 0, 0x3C, 0xFFFF_FF0B);

        Assert.That(Read(TestSlot, 0, 0x3C, PortWidth.Word), Is.EqualTo(0x010Bu));
    }

    [Test]
    public void ResetControl_ResetCpuBit_RequestsReset()
    {
        _bus.WriteByte(0xCF9, 0x06);

        Assert.That(_resets, Is.EqualTo(1));
    }

    [Test]
    public void IntxRouting_Slot3IntaViaPirqC_DrivesRoutedIsaIrq()
    {
        var sink = new RecordingSink();
        var router = new PciInterruptRouter(_piix3, new IsaIrqLines(sink));
        Write(1, 0, 0x62, 10, PortWidth.Byte);

        router.GetIntxLine(TestSlot, 1).Raise();

        Assert.That(sink.Levels[10], Is.True);
    }

    [Test]
    public void IntxRouting_RouteChangedWhileAsserted_MovesLevelToNewIrq()
    {
        var sink = new RecordingSink();
        var router = new PciInterruptRouter(_piix3, new IsaIrqLines(sink));
        Write(1, 0, 0x62, 10, PortWidth.Byte);
        router.GetIntxLine(TestSlot, 1).Raise();

        Write(1, 0, 0x62, 11, PortWidth.Byte);

        Assert.Multiple(() =>
        {
            Assert.That(sink.Levels[10], Is.False);
            Assert.That(sink.Levels[11], Is.True);
        });
    }

    [Test]
    public void IntxRouting_SharedPirqOneSourceLowered_StaysAsserted()
    {
        var sink = new RecordingSink();
        var router = new PciInterruptRouter(_piix3, new IsaIrqLines(sink));
        Write(1, 0, 0x62, 10, PortWidth.Byte);
        var a = router.GetIntxLine(TestSlot, 1);
        var b = router.GetIntxLine(TestSlot + 4, 1);
        a.Raise();
        b.Raise();

        a.Lower();

        Assert.That(sink.Levels[10], Is.True);
    }

    [Test]
    public void IntxRouting_TwoPirqsOnOneIrqOneLowered_IrqStaysAsserted()
    {
        var sink = new RecordingSink();
        var router = new PciInterruptRouter(_piix3, new IsaIrqLines(sink));
        Write(1, 0, 0x60, 0x0B0B_0B0B);
        var onPirqC = router.GetIntxLine(TestSlot, 1);
        var onPirqD = router.GetIntxLine(TestSlot + 1, 1);
        onPirqC.Raise();
        onPirqD.Raise();

        onPirqC.Lower();

        Assert.That(sink.Levels[11], Is.True);
    }

    [Test]
    public void IntxRouting_IsaDeviceOnSameIrq_PciLowerDoesNotDropIsaLevel()
    {
        var sink = new RecordingSink();
        var lines = new IsaIrqLines(sink);
        var router = new PciInterruptRouter(_piix3, lines);
        Write(1, 0, 0x62, 10, PortWidth.Byte);
        lines[10].Raise();
        var intx = router.GetIntxLine(TestSlot, 1);
        intx.Raise();

        intx.Lower();

        Assert.That(sink.Levels[10], Is.True);
    }
}
