using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Cli.Tests.Boot;

/// <summary>
/// <c>emu boot --drive …,readonly=on</c> against a guest that tries to write: a boot sector (assembled
/// here) calls INT 13h AH=03h on the floppy it booted from, the IDE disk and the virtio-blk disk, and
/// reports through isa-debug-exit which writes succeeded. The images' bytes are checked afterwards; the
/// writable control proves the same guest does write.
/// </summary>
public class BootReadOnlyDriveTests
{
    private const ushort Origin = 0x7C00;
    private const ushort Buffer = 0x1000;
    private const ushort DebugExitPort = 0x501;
    private const int Sector = 512;
    private const int FloppyBytes = 1_474_560;
    private const int DiskBytes = 1 << 20;
    private const byte Original = 0x5A;
    private const byte GuestFill = 0xC3;
    private const int AllRefusedStatus = 1;
    private const int AllWrittenStatus = (0b111 << 1) | 1;

    /// <summary>BIOS drive numbers: floppy A:, then the IDE disk and the virtio-blk disk.</summary>
    private static readonly byte[] Drives = [0x00, 0x80, 0x81];

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-boot-readonly-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Int13Write_EveryDriveReadOnly_AllRefusedAndImagesUnchanged()
    {
        var (floppy, disk, virtio) = Images();
        var floppyBefore = File.ReadAllBytes(floppy);

        var status = Boot("readonly=on", floppy, disk, virtio);

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(AllRefusedStatus), "no write reported success");
            Assert.That(File.ReadAllBytes(floppy), Is.EqualTo(floppyBefore));
            Assert.That(File.ReadAllBytes(disk), Is.All.EqualTo(Original));
            Assert.That(File.ReadAllBytes(virtio), Is.All.EqualTo(Original));
        });
    }

    [Test]
    public void Int13Write_EveryDriveWritable_AllWritten()
    {
        var (floppy, disk, virtio) = Images();

        var status = Boot("readonly=off", floppy, disk, virtio);

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(AllWrittenStatus));
            Assert.That(File.ReadAllBytes(floppy).AsSpan(Sector, Sector).ToArray(), Is.All.EqualTo(GuestFill));
            Assert.That(File.ReadAllBytes(disk).AsSpan(Sector, Sector).ToArray(), Is.All.EqualTo(GuestFill));
            Assert.That(File.ReadAllBytes(virtio).AsSpan(Sector, Sector).ToArray(), Is.All.EqualTo(GuestFill));
        });
    }

    private static int Boot(string readOnly, string floppy, string disk, string virtio)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        return EmuCommand.Run(
            ["boot", "--drive", $"file={floppy},if=floppy,format=raw,{readOnly}", "--drive", $"file={disk},if=ide,format=raw,{readOnly}",
             "--drive", $"file={virtio},if=virtio,format=raw,{readOnly}", "--boot", "a", "--timeout", "60"],
            new StringReader(string.Empty), output, error);
    }

    private (string Floppy, string Disk, string Virtio) Images()
    {
        var floppy = Path.Combine(_dir, "fd.img");
        var image = Enumerable.Repeat(Original, FloppyBytes).ToArray();
        BootSector().CopyTo(image, 0);
        File.WriteAllBytes(floppy, image);
        var disk = Path.Combine(_dir, "hd.img");
        File.WriteAllBytes(disk, [.. Enumerable.Repeat(Original, DiskBytes)]);
        var virtio = Path.Combine(_dir, "vd.img");
        File.WriteAllBytes(virtio, [.. Enumerable.Repeat(Original, DiskBytes)]);
        return (floppy, disk, virtio);
    }

    /// <summary>Fills a buffer, writes it to C/H/S 0/0/2 of each drive, and exits with bit i set when drive i's write succeeded (CF clear).</summary>
    private static byte[] BootSector()
    {
        var a = new Assembler(16);
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ss, ax);
        a.mov(sp, Origin);
        a.sti();
        a.cld();
        a.mov(di, Buffer);
        a.mov(cx, Sector);
        a.mov(al, GuestFill);
        a.rep.stosb();
        a.xor(bp, bp);
        for (var i = 0; i < Drives.Length; i++)
        {
            var failed = a.CreateLabel();
            a.mov(ax, 0x0301);
            a.mov(cx, 0x0002);
            a.mov(dx, Drives[i]);
            a.mov(bx, Buffer);
            a.@int(0x13);
            a.jc(failed);
            a.mov(ax, (ushort)(1 << i));
            a.or(bp, ax);
            a.Label(ref failed);
            a.nop();
        }

        a.mov(ax, bp);
        a.mov(dx, DebugExitPort);
        a.@out(dx, al);
        var hang = a.CreateLabel();
        a.Label(ref hang);
        a.hlt();
        a.jmp(hang);

        return QemuSystem.BootSectors.Sector(a);
    }
}
