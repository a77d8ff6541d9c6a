using System.Text.RegularExpressions;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Cli.Tests.Boot;

/// <summary>
/// <c>emu boot --deterministic</c>: a guest doing disk I/O runs the same way twice — same instruction
/// count at exit, same output. The guest (a boot sector assembled here) writes a sector through INT 13h,
/// reads it back and compares, 32 times; on a virtio-blk disk the BIOS driver polls the used ring for
/// each completion (a polling guest), on an IDE disk it halts until IRQ 14 (an interrupt-driven guest).
/// Writes go to an I/O worker thread, so without the mode the polling guest's count depends on the host.
/// </summary>
public partial class DeterministicIoTests
{
    private const ushort Origin = 0x7C00;
    private const ushort WriteBuffer = 0x1000;
    private const ushort ReadBuffer = 0x2000;
    private const ushort DriveByte = 0x600;
    private const ushort CounterByte = 0x602;
    private const ushort Com1 = 0x3F8;
    private const ushort DebugExitPort = 0x501;
    private const int Sector = 512;
    private const int DiskBytes = 1 << 20;
    private const byte Rounds = 32;
    private const byte PassValue = 0x10;
    private const int PassStatus = (PassValue << 1) | 1;

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-deterministic-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [TestCase("virtio", TestName = "Deterministic_PollingGuestOnVirtio_SameInstructionCountAndOutputTwice")]
    [TestCase("ide", TestName = "Deterministic_InterruptGuestOnIde_SameInstructionCountAndOutputTwice")]
    public void Deterministic_GuestDoingIo_RunsTheSameWayTwice(string interfaceName)
    {
        var first = Boot(interfaceName, "first.img");
        var second = Boot(interfaceName, "second.img");

        Assert.Multiple(() =>
        {
            Assert.That(first.Status, Is.EqualTo(PassStatus), first.Output);
            Assert.That(first.Output, Is.EqualTo("01234567012345670123456701234567"));
            Assert.That(second.Output, Is.EqualTo(first.Output));
            Assert.That(second.Instructions, Is.EqualTo(first.Instructions));
        });
    }

    private (int Status, string Output, long Instructions) Boot(string interfaceName, string name)
    {
        var image = Path.Combine(_dir, name);
        var bytes = new byte[DiskBytes];
        BootSector().CopyTo(bytes, 0);
        File.WriteAllBytes(image, bytes);
        var output = new StringWriter();
        var error = new StringWriter();
        var status = EmuCommand.Run(
            ["boot", "--drive", $"file={image},if={interfaceName},format=raw", "--deterministic", "--stats", "--rtc-base", "2026-01-01", "--timeout", "60"],
            new StringReader(string.Empty), output, error);
        var match = StatsLine().Match(error.ToString());
        Assert.That(match.Success, Is.True, error.ToString());
        // The terminal output mixes COM1 with screen refreshes paced in wall time; the guest's COM1 bytes are the digits and F.
        var serial = new string([.. output.ToString().Where(c => char.IsAsciiDigit(c) || c == 'F')]);
        return (status, serial, long.Parse(match.Groups[1].Value.Replace(",", string.Empty, StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"([\d,]+) guest instructions")]
    private static partial Regex StatsLine();

    /// <summary>32 rounds of: fill a buffer with the round number, write it to sector 2 of the boot drive, read it back, compare, print the round mod 8.</summary>
    private static byte[] BootSector()
    {
        var a = new Assembler(16);
        var round = a.CreateLabel();
        var fail = a.CreateLabel();
        var spin = a.CreateLabel();
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ss, ax);
        a.mov(sp, Origin);
        a.cld();
        a.mov(__byte_ptr[DriveByte], dl);
        a.mov(__byte_ptr[CounterByte], 0);
        a.Label(ref round);
        a.mov(al, __byte_ptr[CounterByte]);
        a.mov(di, WriteBuffer);
        a.mov(cx, Sector);
        a.rep.stosb();
        Transfer(a, 0x0301, WriteBuffer, fail);
        Transfer(a, 0x0201, ReadBuffer, fail);
        a.mov(si, ReadBuffer);
        a.mov(di, WriteBuffer);
        a.mov(cx, Sector);
        a.repe.cmpsb();
        a.jne(fail);
        a.mov(al, __byte_ptr[CounterByte]);
        a.and(al, 7);
        a.add(al, (byte)'0');
        a.mov(dx, Com1);
        a.@out(dx, al);
        a.inc(__byte_ptr[CounterByte]);
        a.cmp(__byte_ptr[CounterByte], Rounds);
        a.jb(round);
        a.mov(dx, DebugExitPort);
        a.mov(al, PassValue);
        a.@out(dx, al);
        a.Label(ref fail);
        a.mov(dx, Com1);
        a.mov(al, (byte)'F');
        a.@out(dx, al);
        a.mov(dx, DebugExitPort);
        a.mov(al, 0);
        a.@out(dx, al);
        a.Label(ref spin);
        a.hlt();
        a.jmp(spin);
        return QemuSystem.BootSectors.Sector(a);
    }

    /// <summary>INT 13h <paramref name="function"/> (AH=function, AL=1 sector) on C/H/S 0/0/2 of the boot drive into ES:<paramref name="buffer"/>; jumps to <paramref name="fail"/> on CF.</summary>
    private static void Transfer(Assembler a, ushort function, ushort buffer, Label fail)
    {
        a.mov(ax, function);
        a.mov(bx, buffer);
        a.mov(cx, 0x0002);
        a.mov(dh, 0);
        a.mov(dl, __byte_ptr[DriveByte]);
        a.@int(0x13);
        a.jc(fail);
    }
}
