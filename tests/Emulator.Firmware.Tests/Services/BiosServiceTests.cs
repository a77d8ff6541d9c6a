using Emulator.Machine.Loop;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Firmware.Tests.Services;

public class BiosServiceTests
{
    private const uint Smap = 0x534D4150;

    [Test]
    public void Boot_FwCfgBootSector_RunsAt7C00WithDlAndExits()
    {
        var m = new BiosTestMachine(a =>
        {
            a.mov(__byte_ptr[BiosTestMachine.ResultBase], dl);
            BiosTestMachine.Exit(a);
        });

        var reason = m.Run();

        Assert.Multiple(() =>
        {
            Assert.That(reason, Is.EqualTo(RunStopReason.Exited));
            Assert.That(m.Machine.ExitStatus, Is.EqualTo(1), "isa-debug-exit: (0 << 1) | 1");
            Assert.That(m.Byte(0), Is.EqualTo(0x80));
            Assert.That(m.Screen, Does.Contain("Booting from ROM..."));
        });
    }

    [Test]
    public void Int12And11_BaseMemoryAndEquipment()
    {
        var m = new BiosTestMachine(a =>
        {
            a.@int(0x12);
            a.mov(__word_ptr[BiosTestMachine.ResultBase], ax);
            a.@int(0x11);
            a.mov(__word_ptr[BiosTestMachine.ResultBase + 2], ax);
            BiosTestMachine.Exit(a);
        });

        m.Run();

        Assert.Multiple(() =>
        {
            Assert.That(m.Word(0), Is.EqualTo(639));
            Assert.That(m.Word(2) & 0x30, Is.EqualTo(0x20), "80x25 colour");
            Assert.That((m.Word(2) >> 9) & 7, Is.EqualTo(1), "one serial port");
            Assert.That(m.Word(2) & 1, Is.Zero, "no floppy drive");
        });
    }

    [Test]
    public void Int15_88AndE801_ExtendedMemoryFromCmos()
    {
        var m = new BiosTestMachine(a =>
        {
            a.mov(ah, 0x88);
            a.@int(0x15);
            a.mov(__word_ptr[BiosTestMachine.ResultBase], ax);
            a.mov(ax, 0xE801);
            a.@int(0x15);
            a.mov(__word_ptr[BiosTestMachine.ResultBase + 2], ax);
            a.mov(__word_ptr[BiosTestMachine.ResultBase + 4], bx);
            BiosTestMachine.Exit(a);
        }, new PcMachineOptions { RamSize = 64 << 20 });

        m.Run();

        Assert.Multiple(() =>
        {
            // The top 64 KiB of RAM is the firmware's own (reserved in the E820 map).
            Assert.That(m.Word(0), Is.EqualTo((63 * 1024) - 64));
            Assert.That(m.Word(2), Is.EqualTo(15 * 1024), "KiB between 1 and 16 MiB");
            Assert.That(m.Word(4), Is.EqualTo((48 * 16) - 1), "64 KiB blocks above 16 MiB");
        });
    }

    [Test]
    public void Int15E820_WalksMapWithContinuation()
    {
        var m = new BiosTestMachine(a =>
        {
            var next = a.CreateLabel();
            var done = a.CreateLabel();
            a.xor(ebx, ebx);
            a.mov(di, (ushort)(BiosTestMachine.ResultBase + 0x10));
            a.mov(__word_ptr[BiosTestMachine.ResultBase], 0);
            a.Label(ref next);
            a.mov(eax, 0xE820);
            a.mov(edx, Smap);
            a.mov(ecx, 20);
            a.@int(0x15);
            a.jc(done);
            a.cmp(eax, Smap);
            a.jne(done);
            a.inc(__word_ptr[BiosTestMachine.ResultBase]);
            a.add(di, 20);
            a.test(ebx, ebx);
            a.jnz(next);
            a.Label(ref done);
            BiosTestMachine.Exit(a);
        });

        m.Run();
        var entries = Enumerable.Range(0, m.Word(0)).Select(i => (
            Base: m.Machine.Memory.ReadDword(BiosTestMachine.ResultBase + 0x10 + (uint)(i * 20)),
            Length: m.Machine.Memory.ReadDword(BiosTestMachine.ResultBase + 0x18 + (uint)(i * 20)),
            Type: m.Machine.Memory.ReadDword(BiosTestMachine.ResultBase + 0x20 + (uint)(i * 20)))).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(entries, Has.Count.EqualTo(7));
            Assert.That(entries[0], Is.EqualTo((0u, 0x9FC00u, 1u)));
            Assert.That(entries.Single(e => e.Base == 0x100000), Is.EqualTo((0x100000u, (32u << 20) - 0x100000u - 0x10000u, 1u)));
            Assert.That(entries.Single(e => e.Base == (32u << 20) - 0x10000u), Is.EqualTo(((32u << 20) - 0x10000u, 0x10000u, 2u)), "the firmware's zone");
            Assert.That(entries.Where(e => e.Type == 1).Sum(e => (long)e.Length), Is.EqualTo(0x9FC00 + (31L << 20) - 0x10000));
        });
    }

    [Test]
    public void Int1A02_RtcTimeInBcd()
    {
        var m = new BiosTestMachine(a =>
        {
            a.mov(ah, 0x02);
            a.@int(0x1A);
            a.mov(__word_ptr[BiosTestMachine.ResultBase], cx);
            a.mov(__byte_ptr[BiosTestMachine.ResultBase + 2], dh);
            a.mov(ah, 0x04);
            a.@int(0x1A);
            a.mov(__word_ptr[BiosTestMachine.ResultBase + 4], cx);
            a.mov(__word_ptr[BiosTestMachine.ResultBase + 6], dx);
            BiosTestMachine.Exit(a);
        });

        m.Run();

        Assert.Multiple(() =>
        {
            Assert.That(m.Word(0), Is.EqualTo(0x1345), "13:45 in BCD");
            Assert.That(m.Byte(2), Is.InRange(0x30, 0x31), "seconds barely moved in virtual time");
            Assert.That(m.Word(4), Is.EqualTo(0x2026));
            Assert.That(m.Word(6), Is.EqualTo(0x1121));
        });
    }

    [Test]
    public void Int1A00_TicksAdvanceWithVirtualTime()
    {
        var m = new BiosTestMachine(a =>
        {
            var wait = a.CreateLabel();
            a.sti();
            a.mov(cx, 5);
            a.Label(ref wait);
            a.hlt();
            a.loop(wait);
            a.xor(ah, ah);
            a.@int(0x1A);
            a.mov(__word_ptr[BiosTestMachine.ResultBase], dx);
            BiosTestMachine.Exit(a);
        });

        m.Run();

        Assert.Multiple(() =>
        {
            Assert.That(m.Word(0), Is.InRange(5, 6), "five HLTs each woken by the 18.2 Hz tick");
            Assert.That(m.Machine.Clock.Now, Is.GreaterThan(5 * 54_000_000L));
        });
    }

    [Test]
    public void Int16_KeyTypedOnKeyboard_ReturnsScanCodeAndCharacter()
    {
        var m = new BiosTestMachine(a =>
        {
            a.xor(ah, ah);
            a.@int(0x16);
            a.mov(__word_ptr[BiosTestMachine.ResultBase], ax);
            a.xor(ah, ah);
            a.@int(0x16);
            a.mov(__word_ptr[BiosTestMachine.ResultBase + 2], ax);
            a.mov(ah, 0x01);
            a.@int(0x16);
            a.setz(al);
            a.mov(__byte_ptr[BiosTestMachine.ResultBase + 4], al);
            BiosTestMachine.Exit(a);
        });

        // The guest waits in INT 16h (halted, interrupts on) until keys arrive from the host.
        var first = m.Machine.Run(new RunLimits { MaxInstructions = 5_000_000, ReturnWhenIdle = true });
        m.Machine.Chipset.Keyboard.TypeText("aZ");
        var second = m.Run();

        Assert.Multiple(() =>
        {
            Assert.That(first, Is.Not.EqualTo(RunStopReason.Exited));
            Assert.That(second, Is.EqualTo(RunStopReason.Exited));
            Assert.That(m.Word(0), Is.EqualTo(0x1E61), "'a'");
            Assert.That(m.Word(2), Is.EqualTo(0x2C5A), "shift+'z'");
            Assert.That(m.Byte(4), Is.EqualTo(1), "buffer empty afterwards");
        });
    }

    [Test]
    public void Int10_TeletypeWritesTextAndMovesCursor()
    {
        var m = new BiosTestMachine(a =>
        {
            a.mov(ax, 0x0003);
            a.@int(0x10);
            foreach (var c in "Hi\r\nX")
            {
                a.mov(ah, 0x0E);
                a.mov(al, (byte)c);
                a.@int(0x10);
            }

            a.mov(ah, 0x03);
            a.xor(bh, bh);
            a.@int(0x10);
            a.mov(__word_ptr[BiosTestMachine.ResultBase], dx);
            BiosTestMachine.Exit(a);
        });

        m.Run();

        Assert.Multiple(() =>
        {
            Assert.That(m.Machine.Chipset.Vga.Rows[0].TrimEnd(), Is.EqualTo("Hi"));
            Assert.That(m.Machine.Chipset.Vga.Rows[1].TrimEnd(), Is.EqualTo("X"));
            Assert.That(m.Word(0), Is.EqualTo(0x0101), "row 1, column 1");
            Assert.That(m.Machine.Chipset.Vga.CursorRow, Is.EqualTo(1), "CRTC cursor follows");
            Assert.That(m.Machine.Chipset.Vga.CursorColumn, Is.EqualTo(1));
        });
    }

    [Test]
    public void Int10_ScrollUpWindow_MovesTextAndBlanksWithAttribute()
    {
        var m = new BiosTestMachine(a =>
        {
            a.mov(ax, 0x0003);
            a.@int(0x10);
            foreach (var c in "A\r\nB")
            {
                a.mov(ah, 0x0E);
                a.mov(al, (byte)c);
                a.@int(0x10);
            }

            a.mov(ax, 0x0601);
            a.mov(bh, 0x1F);
            a.xor(cx, cx);
            a.mov(dx, 0x184F);
            a.@int(0x10);
            BiosTestMachine.Exit(a);
        });

        m.Run();

        Assert.Multiple(() =>
        {
            Assert.That(m.Machine.Chipset.Vga.Rows[0].TrimEnd(), Is.EqualTo("B"));
            Assert.That(m.Machine.Chipset.Vga.AttributeAt(24, 0), Is.EqualTo(0x1F));
        });
    }

    [Test]
    public void Int15_UnknownFunction_CarrySetAh86()
    {
        var m = new BiosTestMachine(a =>
        {
            a.mov(ah, 0x77);
            a.@int(0x15);
            a.setc(al);
            a.mov(__byte_ptr[BiosTestMachine.ResultBase], al);
            a.mov(__byte_ptr[BiosTestMachine.ResultBase + 1], ah);
            BiosTestMachine.Exit(a);
        });

        m.Run();

        Assert.Multiple(() =>
        {
            Assert.That(m.Byte(0), Is.EqualTo(1));
            Assert.That(m.Byte(1), Is.EqualTo(0x86));
        });
    }

    [Test]
    public void Int13_NoDiskController_DriveAbsent()
    {
        var m = new BiosTestMachine(a =>
        {
            a.mov(ah, 0x08);
            a.mov(dl, 0x80);
            a.@int(0x13);
            a.setc(al);
            a.mov(__byte_ptr[BiosTestMachine.ResultBase], al);
            a.mov(__byte_ptr[BiosTestMachine.ResultBase + 1], ah);
            BiosTestMachine.Exit(a);
        });

        m.Run();

        Assert.Multiple(() =>
        {
            Assert.That(m.Byte(0), Is.EqualTo(1));
            Assert.That(m.Byte(1), Is.EqualTo(0x01));
        });
    }

    [Test]
    public void Boot_NothingToBoot_PrintsNoBootableDeviceAndHalts()
    {
        var machine = new PcMachine(new PcMachineOptions { Idle = IdleMode.Skip });
        PcFirmware.Install(machine);

        var reason = machine.Run(new RunLimits { MaxInstructions = 20_000_000, ReturnWhenIdle = true });

        Assert.Multiple(() =>
        {
            Assert.That(reason, Is.EqualTo(RunStopReason.Idle));
            Assert.That(machine.Chipset.Vga.ScreenDump(), Does.Contain("No bootable device."));
        });
    }
}
