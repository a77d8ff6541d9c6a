using System.Text;
using Emulator.Block.Backend;
using static Emulator.Devices.Tests.Ide.IdeRig;

namespace Emulator.Devices.Tests.Ide;

/// <summary>
/// Real guest images from <c>shared/images</c> (opened read-only) through the guest interface: the
/// FreeDOS hard disk's MBR by PIO, and the GRUB rescue ISO's El Torito boot record by ATAPI READ(10).
/// </summary>
public class IdeSharedImageTests
{
    private const byte ReadSectors = 0x20;
    private const byte Packet = 0xA0;
    private const byte Read10 = 0x28;

    private IdeRig _rig = null!;

    [SetUp]
    public void SetUp() => _rig = new IdeRig();

    [TearDown]
    public void TearDown() => _rig.Dispose();

    private static string Image(params string[] relative) =>
        SharedFolder.Find(["images", .. relative]) ?? throw new IgnoreException($"shared/images/{string.Join('/', relative)} is not available here.");

    private BlockBackend OpenReadOnly(string path, string name) =>
        _rig.Layer.OpenImage(new BlockBackendOptions { Name = name, ReadOnly = true }, path, "raw");

    [Test]
    public void FreeDosDisk_Mbr_HasBootSignatureAndGeometryMatchesManifest()
    {
        _rig.Ide.AttachDisk(0, 0, OpenReadOnly(Image("freedos-hdd", "fdos-hd8m.img"), "hd0"));
        _rig.Start();

        _rig.Out(Command, 0xEC);
        var identify = _rig.ReadData(512);
        _rig.Lba28Command(ReadSectors, 0, 1);
        _rig.Settle();
        var mbr = _rig.ReadData(512);

        Assert.Multiple(() =>
        {
            Assert.That((mbr[510], mbr[511]), Is.EqualTo(((byte)0x55, (byte)0xAA)));
            Assert.That(new[] { identify[2], identify[6], identify[12] }, Is.EqualTo(new byte[] { 16, 16, 63 }), "16 cylinders, 16 heads, 63 sectors (MANIFEST)");
        });
    }

    [Test]
    public void GrubIso_Sector17_IsElToritoBootRecord()
    {
        _rig.Ide.AttachCdrom(0, 0, OpenReadOnly(Image("grub-iso", "grub-rescue.iso"), "cd0"));
        _rig.Start();
        var cdb = new byte[12];
        cdb[0] = Read10;
        cdb[5] = 17;
        cdb[8] = 1;

        _rig.Out(LbaMid, 0x00);
        _rig.Out(LbaHigh, 0x08);
        _rig.Out(Command, Packet);
        _rig.WriteData(cdb);
        _rig.Settle();
        var sector = _rig.ReadData(2048);

        Assert.Multiple(() =>
        {
            Assert.That(sector[0], Is.Zero, "boot record volume descriptor");
            Assert.That(Encoding.ASCII.GetString(sector, 1, 5), Is.EqualTo("CD001"));
            Assert.That(Encoding.ASCII.GetString(sector, 7, 23), Is.EqualTo("EL TORITO SPECIFICATION"));
        });
    }
}
