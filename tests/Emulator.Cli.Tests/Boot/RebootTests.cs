using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Cli.Tests.Boot;

/// <summary>
/// A guest that reboots itself, through each reset path a PC has, comes back through POST and boots
/// again to the same screen: the firmware finds the same drives on a machine whose chips all
/// restarted from power-on state.
/// </summary>
public class RebootTests
{
    private const ushort Origin = 0x7C00;
    private const byte CmosIndex = 0x70;
    private const byte CmosData = 0x71;

    /// <summary>A CMOS byte outside the checksummed area: it survives the reset and counts the boots.</summary>
    private const byte BootCounter = 0x5A;
    private const ushort DebugExit = 0x501;
    private const int FloppyBytes = 1_474_560;

    /// <summary>Where the sector keeps its data: an empty IDT (limit 0, six zero bytes) and the "boot " text.</summary>
    private const int IdtOffset = 0x100;
    private const int MessageOffset = 0x110;

    public enum ResetPath
    {
        KeyboardController,
        Port92,
        PortCf9,
        TripleFault,

        /// <summary>The first boot waits; the test resets it with QMP system_reset.</summary>
        Monitor,
    }

    [TestCase(ResetPath.KeyboardController)]
    [TestCase(ResetPath.Port92)]
    [TestCase(ResetPath.PortCf9)]
    [TestCase(ResetPath.TripleFault)]
    public void Reboot_ThroughResetPath_BootsAgainToTheSameScreen(ResetPath path)
    {
        var image = Path.Combine(Path.GetTempPath(), $"emu-reboot-{Guid.NewGuid():N}.img");
        var floppy = new byte[FloppyBytes];
        BootSector(path).CopyTo(floppy, 0);
        File.WriteAllBytes(image, floppy);
        var output = new StringWriter();
        int status;
        try
        {
            status = EmuCommand.Run(
                ["boot", "--drive", $"file={image},if=floppy,format=raw,snapshot=on", "--boot", "a", "--timeout", "60"],
                new StringReader(string.Empty), output, new StringWriter());
        }
        finally
        {
            File.Delete(image);
        }

        var text = output.ToString();
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo((2 << 1) | 1), "the second boot leaves through isa-debug-exit with its boot count");
            Assert.That(text, Does.Contain("Emulator.Storage BIOS").And.Contain("Booting from Floppy").And.Contain("boot 2"));
        });
    }

    [Test]
    public void Reboot_ThroughQmpSystemReset_BootsAgainToTheSameScreen()
    {
        var dir = Directory.CreateTempSubdirectory("emu-reboot-qmp-").FullName;
        var image = Path.Combine(dir, "fd.img");
        var floppy = new byte[FloppyBytes];
        BootSector(ResetPath.Monitor).CopyTo(floppy, 0);
        File.WriteAllBytes(image, floppy);
        var socket = Path.Combine(dir, "qmp.sock");
        var screen = new ScreenLog();
        var status = -1;
        var run = new Thread(() => status = EmuCommand.Run(
            ["boot", "--qmp", $"unix:{socket}", "--drive", $"file={image},if=floppy,format=raw,snapshot=on", "--boot", "a", "--timeout", "60"],
            new StringReader(string.Empty), screen, new StringWriter()));
        run.Start();
        try
        {
            using var qmp = QmpLineClient.Connect(socket);
            qmp.Execute("qmp_capabilities");
            var firstBoot = screen.WaitFor("boot 1", 0, TimeSpan.FromSeconds(30));
            qmp.Execute("system_reset");
            var reset = qmp.WaitForEvent("RESET");
            var exited = run.Join(TimeSpan.FromSeconds(60));

            Assert.Multiple(() =>
            {
                Assert.That(firstBoot, Is.GreaterThan(0), "the first boot printed its count");
                Assert.That((bool?)reset["data"]?["guest"], Is.False, "a reset the host asked for");
                Assert.That(exited, Is.True);
                Assert.That(status, Is.EqualTo((2 << 1) | 1), "the second boot leaves through isa-debug-exit with its boot count");
                Assert.That(screen.ToString(), Does.Contain("boot 2"));
            });
        }
        finally
        {
            run.Join(TimeSpan.FromSeconds(60));
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Counts its boots in CMOS, prints "boot N"; the first boot resets the machine through <paramref name="path"/>, the second exits.</summary>
    private static byte[] BootSector(ResetPath path)
    {
        var a = new Assembler(16);
        var second = a.CreateLabel();
        var print = a.CreateLabel();
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(ss, ax);
        a.mov(sp, Origin);
        a.mov(al, BootCounter);
        a.@out(CmosIndex, al);
        a.@in(al, CmosData);
        a.inc(al);
        a.@out(CmosData, al);
        a.mov(bl, al);
        a.mov(si, (ushort)(Origin + MessageOffset));
        a.call(print);
        a.mov(al, bl);
        a.add(al, (byte)'0');
        a.mov(ah, 0x0E);
        a.@int(0x10);
        a.mov(al, (byte)'\n');
        a.@int(0x10);
        a.cmp(bl, 2);
        a.jae(second);
        a.cli();
        switch (path)
        {
            case ResetPath.KeyboardController:
                a.mov(al, 0xFE);
                a.@out(0x64, al);
                break;
            case ResetPath.Port92:
                a.@in(al, 0x92);
                a.or(al, 0x01);
                a.@out(0x92, al);
                break;
            case ResetPath.PortCf9:
                a.mov(dx, 0xCF9);
                a.mov(al, 0x06);
                a.@out(dx, al);
                break;
            case ResetPath.Monitor:
                a.sti();
                break;
            case ResetPath.TripleFault:
                // Protected mode with an empty IDT: the interrupt faults, so does #GP, so does #DF.
                a.lidt(__[Origin + IdtOffset]);
                a.mov(eax, cr0);
                a.or(al, 1);
                a.mov(cr0, eax);
                a.@int(0x21);
                break;
        }

        var spin = a.CreateLabel();
        a.Label(ref spin);
        a.hlt();
        a.jmp(spin);

        a.Label(ref second);
        a.mov(al, bl);
        a.mov(dx, DebugExit);
        a.@out(dx, al);
        a.hlt();

        var done = a.CreateLabel();
        a.Label(ref print);
        a.lodsb();
        a.test(al, al);
        a.jz(done);
        a.mov(ah, 0x0E);
        a.@int(0x10);
        a.jmp(print);
        a.Label(ref done);
        a.ret();

        using var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), Origin);
        var sector = new byte[512];
        var code = stream.ToArray();
        Assert.That(code, Has.Length.LessThan(IdtOffset));
        code.CopyTo(sector, 0);
        "boot "u8.CopyTo(sector.AsSpan(MessageOffset));
        sector[510] = 0x55;
        sector[511] = 0xAA;
        return sector;
    }
}
