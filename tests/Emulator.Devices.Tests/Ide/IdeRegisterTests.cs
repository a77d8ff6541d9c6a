using static Emulator.Devices.Tests.Ide.IdeRig;

namespace Emulator.Devices.Tests.Ide;

/// <summary>The shared register file, interrupts, resets and PCI identity (ATA/ATAPI-6 chapters 5-7, 9.12; PIIX3 datasheet).</summary>
public class IdeRegisterTests
{
    private const byte IdentifyDevice = 0xEC;
    private const byte ReadSectors = 0x20;
    private const byte ExecuteDeviceDiagnostic = 0x90;
    private const byte DeviceReset = 0x08;

    private IdeRig _rig = null!;

    [SetUp]
    public void SetUp() => _rig = new IdeRig();

    [TearDown]
    public void TearDown() => _rig.Dispose();

    private (byte Count, byte Sector, byte Mid, byte High) Signature() =>
        (_rig.In(Count), _rig.In(LbaLow), _rig.In(LbaMid), _rig.In(LbaHigh));

    private void AttachCdrom(int unit)
    {
        var backend = _rig.OpenImage(_rig.CreateImageFile(1 << 20, "cd.iso"), "cd0");
        _rig.Ide.AttachCdrom(0, unit, backend);
    }

    [Test]
    public void PowerOn_Disk_HasDiskSignatureAndDrdy()
    {
        _rig.AttachDisk();
        _rig.Start();

        Assert.Multiple(() =>
        {
            Assert.That(Signature(), Is.EqualTo(((byte)1, (byte)1, (byte)0, (byte)0)));
            Assert.That(_rig.In(Status), Is.EqualTo(Drdy | Dsc));
        });
    }

    [Test]
    public void PowerOn_Cdrom_PacketSignatureAndDrdyLikeQemuBusReset()
    {
        AttachCdrom(0);
        _rig.Start();

        Assert.That((Signature(), _rig.In(Status)), Is.EqualTo((((byte)1, (byte)1, (byte)0x14, (byte)0xEB), (byte)(Drdy | Dsc))));
    }

    [Test]
    public void SoftReset_DiskAndCdrom_LoadSignaturesAfterBsy()
    {
        _rig.AttachDisk();
        AttachCdrom(1);
        _rig.Start();
        _rig.Out(LbaMid, 0x77);

        _rig.Out(Control, Srst);
        var during = _rig.In(AltStatus);
        _rig.Out(Control, 0);
        _rig.Settle();
        var master = (Signature(), _rig.In(Status), _rig.In(ErrorReg));
        _rig.Out(Device, Obsolete | DevBit);
        var slave = (Signature(), _rig.In(Status), _rig.In(ErrorReg));

        Assert.Multiple(() =>
        {
            Assert.That(during & Bsy, Is.Not.Zero, "BSY while the reset runs");
            Assert.That(master, Is.EqualTo((((byte)1, (byte)1, (byte)0, (byte)0), (byte)(Drdy | Dsc), (byte)1)));
            Assert.That(slave, Is.EqualTo((((byte)1, (byte)1, (byte)0x14, (byte)0xEB), (byte)0, (byte)1)));
        });
    }

    [Test]
    public void RegisterWrites_GoToBothDevices()
    {
        _rig.AttachDisk();
        AttachCdrom(1);
        _rig.Start();

        _rig.Out(LbaLow, 0x5A);
        _rig.Out(Device, Obsolete | DevBit);

        Assert.That(_rig.In(LbaLow), Is.EqualTo(0x5A));
    }

    [Test]
    public void AbsentSlave_StatusAndErrorReadZero_CommandsIgnored()
    {
        _rig.AttachDisk();
        _rig.Start();

        _rig.Out(Device, Obsolete | DevBit);
        _rig.Out(Command, IdentifyDevice);

        Assert.Multiple(() =>
        {
            Assert.That(_rig.In(Status), Is.Zero);
            Assert.That(_rig.In(ErrorReg), Is.Zero);
            Assert.That(_rig.Irq, Is.False);
        });
    }

    [Test]
    public void EmptyChannel_AllRegistersReadZero()
    {
        _rig.Start();

        var values = new[] { Count, LbaLow, LbaMid, LbaHigh, Device, Status, AltStatus }.Select(_rig.In).ToArray();

        Assert.That(values, Is.All.Zero);
    }

    [Test]
    public void Nien_SuppressesIrq()
    {
        _rig.AttachDisk();
        _rig.Start();

        _rig.Out(Control, Nien);
        _rig.Out(Command, IdentifyDevice);

        Assert.Multiple(() =>
        {
            Assert.That(_rig.Irq, Is.False);
            Assert.That(_rig.In(AltStatus), Is.EqualTo(Drdy | Dsc | Drq), "polling still works");
        });
    }

    [Test]
    public void TaskFileWrite_WhileDrq_IsIgnored()
    {
        _rig.AttachDisk();
        _rig.Start();
        _rig.Out(Command, IdentifyDevice);

        _rig.Out(LbaHigh, 0x42);

        Assert.That(_rig.In(LbaHigh), Is.Not.EqualTo(0x42));
    }

    [Test]
    public void ExecuteDeviceDiagnostic_Disk_SignatureErrorOneAndIrq()
    {
        _rig.AttachDisk();
        _rig.Start();
        _rig.Out(LbaMid, 0x33);

        _rig.Out(Command, ExecuteDeviceDiagnostic);
        var irq = _rig.Irq;

        Assert.That((irq, Signature(), _rig.In(ErrorReg), _rig.In(Status)), Is.EqualTo((true, ((byte)1, (byte)1, (byte)0, (byte)0), (byte)1, (byte)(Drdy | Dsc))));
    }

    [Test]
    public void DeviceReset_Cdrom_AcceptedWhileDrqAndNoIrq()
    {
        AttachCdrom(0);
        _rig.Start();
        const byte packet = 0xA0;
        _rig.Out(Command, packet);
        _rig.In(Status);

        _rig.Out(Command, DeviceReset);

        Assert.Multiple(() =>
        {
            Assert.That(_rig.In(AltStatus), Is.Zero);
            Assert.That(_rig.Irq, Is.False);
            Assert.That(Signature(), Is.EqualTo(((byte)1, (byte)1, (byte)0x14, (byte)0xEB)));
        });
    }

    [Test]
    public void DeviceReset_Disk_Aborts()
    {
        _rig.AttachDisk();
        _rig.Start();

        _rig.Out(Command, DeviceReset);

        Assert.That((_rig.In(Status), _rig.In(ErrorReg)), Is.EqualTo(((byte)(Drdy | Err), Abrt)));
    }

    [Test]
    public void DataPort_ByteRead_ReturnsAllOnes()
    {
        _rig.AttachDisk();
        _rig.Start();
        _rig.Out(Command, IdentifyDevice);

        Assert.That(_rig.In(Data), Is.EqualTo(0xFF));
    }

    [Test]
    public void MachineReset_DuringCommand_ReturnsToSignatureAndIdle()
    {
        _rig.AttachDisk();
        _rig.Start();
        _rig.Lba28Command(ReadSectors, 5, 4);
        _rig.Settle();

        _rig.Machine.RequestReset();
        _rig.Settle();

        Assert.Multiple(() =>
        {
            Assert.That(_rig.In(Status), Is.EqualTo(Drdy | Dsc));
            Assert.That(Signature(), Is.EqualTo(((byte)1, (byte)1, (byte)0, (byte)0)));
        });
    }

    [Test]
    public void PciConfig_IdeFunctionIdentity()
    {
        _rig.Start();

        Assert.Multiple(() =>
        {
            Assert.That(_rig.ReadConfig(0x00), Is.EqualTo(0x7010_8086u), "device 7010, vendor 8086");
            Assert.That(_rig.ReadConfig(0x08) >> 8, Is.EqualTo(0x01_01_80u), "IDE, legacy, bus master");
            Assert.That((_rig.ReadConfig(0x0C, function: 0) >> 16) & 0x80, Is.EqualTo(0x80u), "PIIX3 function 0 is multi-function");
        });
    }

    [Test]
    public void PciConfig_Bar4_Is16ByteIoBar()
    {
        _rig.Start();

        _rig.WriteConfig(0x20, 0xFFFF_FFFF);

        Assert.That(_rig.ReadConfig(0x20), Is.EqualTo(0xFFFF_FFF1u));
    }
}
