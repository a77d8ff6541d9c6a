using Emulator.Block.Backend;
using Emulator.Hosting;
using Emulator.Firmware.Services;
using Emulator.Machine.Loop;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Cli.Tests.Boot;

/// <summary>
/// INT 13h as a guest sees it, over the real device models: a boot sector the test assembles calls the
/// BIOS on an IDE disk (the FreeDOS image, read-only), a floppy and an absent drive, and stores what came
/// back (registers and carry) in low memory. Expected values are the BIOS specification's and SeaBIOS's.
/// </summary>
public class BiosDiskServiceTests
{
    private const ushort Origin = 0x7C00;
    private const uint Results = 0x0500;
    private const ushort Buffer = 0x1000;
    private const ushort Packet = 0x0700;
    private const ushort Parameters = 0x0740;
    private const int FloppyBytes = 1_474_560;

    [Test]
    public void Int13_OnIdeDiskFloppyAndAbsentDrive_AnswersAsTheBiosSpecificationSays()
    {
        var floppy = Path.Combine(Path.GetTempPath(), $"bios-disk-{Guid.NewGuid():N}.img");
        var image = new byte[FloppyBytes];
        for (var i = 0; i < image.Length; i++)
        {
            image[i] = (byte)(i / 512);
        }

        File.WriteAllBytes(floppy, image);
        try
        {
            var machine = Run(floppy);
            var memory = machine.Memory;
            ushort Word(uint slot) => memory.ReadWord(Results + (slot * 2));
            const ushort Carry = 1;
            Assert.Multiple(() =>
            {
                // AH=08h on 80h: last cylinder 16 - 2 = 14 (SeaBIOS keeps one back), 63 sectors, heads 0-15, one disk.
                Assert.That(Word(0), Is.EqualTo(0x0E3F), "CX: cylinder 14, 63 sectors");
                Assert.That(Word(1), Is.EqualTo(0x0F01), "DX: last head 15, one hard disk");
                Assert.That(Word(2) & Carry, Is.Zero);

                // AH=41h: extensions present, version 3.0.
                Assert.That(Word(3), Is.EqualTo(0xAA55));
                Assert.That(Word(4) >> 8, Is.EqualTo(0x30));

                // AH=48h: 16128 sectors of 512 bytes.
                Assert.That(memory.ReadDword(Parameters + 16u), Is.EqualTo(16128));
                Assert.That(memory.ReadWord(Parameters + 24u), Is.EqualTo(512));

                // AH=02h with sector 0: invalid parameter (01h), carry set.
                Assert.That(Word(5) >> 8, Is.EqualTo(0x01));
                Assert.That(Word(6) & Carry, Is.EqualTo(Carry));

                // AH=42h past the end: invalid parameter, nothing transferred.
                Assert.That(Word(7) >> 8, Is.EqualTo(0x01));
                Assert.That(Word(8) & Carry, Is.EqualTo(Carry));

                // AH=02h C/H/S 0/1/1 is LBA 63, the FAT16 boot sector: signature 55AAh.
                Assert.That(Word(9), Is.EqualTo(0x0001), "AH=00h, AL=1 sector read");
                Assert.That(memory.ReadWord(Buffer + 510u), Is.EqualTo(0xAA55));

                // AH=15h: a fixed disk (03h) with 16128 sectors in CX:DX; the floppy has a change line (02h).
                Assert.That(Word(10) >> 8, Is.EqualTo(0x03));
                Assert.That((Word(11) << 16) | Word(12), Is.EqualTo(16128));
                Assert.That(Word(13) >> 8, Is.EqualTo(0x02));

                // Floppy AH=02h: C/H/S 1/1/5 is LBA 36 + 18 + 4 = 58, whose bytes are all 58.
                Assert.That(Word(14), Is.EqualTo(0x0001));
                Assert.That(memory.ReadByte(Buffer + 0x200u), Is.EqualTo(58));

                // Floppy AH=03h on a read-only medium: write protected (03h), carry set.
                Assert.That(Word(15) >> 8, Is.EqualTo(0x03));
                Assert.That(Word(16) & Carry, Is.EqualTo(Carry));

                // AH=08h on 81h, which does not exist: invalid parameter.
                Assert.That(Word(17) >> 8, Is.EqualTo(0x01));
                Assert.That(Word(18) & Carry, Is.EqualTo(Carry));
            });
        }
        finally
        {
            File.Delete(floppy);
        }
    }

    private static PcMachine Run(string floppy)
    {
        var machine = new PcMachine(new PcMachineOptions { Idle = IdleMode.Skip, RtcStartTime = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) });
        var host = new EmulatorHost(machine);
        var disk = host.Layer.OpenImage(new BlockBackendOptions { Name = "ide0-hd0", ReadOnly = true }, GuestImageBootTests.Image("freedos-hdd/fdos-hd8m.img"), "raw");
        host.Devices.AttachIde(0, disk, cdrom: false, "ide0-hd0");
        var fd = host.Layer.OpenImage(new BlockBackendOptions { Name = "floppy0", ReadOnly = true }, floppy, "raw");
        host.Devices.AttachFloppy(0, fd, "floppy0");
        host.Board.ApplyBootOrder(string.Empty);
        machine.Chipset.FwCfg.AddFile(FirmwareOptions.BootSectorFile, BootSector());
        var reason = machine.Run(new RunLimits { WallTimeout = TimeSpan.FromSeconds(60) });
        Assert.That(reason, Is.EqualTo(RunStopReason.Exited), "the guest reached isa-debug-exit");
        host.Dispose();
        return machine;
    }

    private static byte[] BootSector()
    {
        var a = new Assembler(16);
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ss, ax);
        a.mov(sp, Origin);
        a.sti();
        var slot = 0;

        void Store(AssemblerRegister16 register) => a.mov(__word_ptr[(ushort)(Results + (slot++ * 2))], register);
        void StoreFlags()
        {
            a.pushf();
            a.pop(bx);
            Store(bx);
        }

        a.mov(ah, 0x08);
        a.mov(dl, 0x80);
        a.@int(0x13);
        Store(cx);
        Store(dx);
        StoreFlags();

        a.mov(ah, 0x41);
        a.mov(bx, 0x55AA);
        a.mov(dl, 0x80);
        a.@int(0x13);
        Store(bx);
        Store(ax);

        a.mov(__word_ptr[Parameters], 0x1A);
        a.mov(si, Parameters);
        a.mov(ah, 0x48);
        a.mov(dl, 0x80);
        a.@int(0x13);

        a.mov(ax, 0x0201);
        a.mov(cx, 0x0000);
        a.mov(dx, 0x0080);
        a.mov(bx, Buffer);
        a.@int(0x13);
        Store(ax);
        StoreFlags();

        a.mov(__word_ptr[Packet], 0x0010);
        a.mov(__word_ptr[Packet + 2], 1);
        a.mov(__word_ptr[Packet + 4], Buffer);
        a.mov(__word_ptr[Packet + 6], 0);
        a.mov(__dword_ptr[Packet + 8], 16128);
        a.mov(__dword_ptr[Packet + 12], 0);
        a.mov(si, Packet);
        a.mov(ah, 0x42);
        a.mov(dl, 0x80);
        a.@int(0x13);
        Store(ax);
        StoreFlags();

        a.mov(ax, 0x0201);
        a.mov(cx, 0x0001);
        a.mov(dx, 0x0180);
        a.mov(bx, Buffer);
        a.@int(0x13);
        Store(ax);

        a.mov(ah, 0x15);
        a.mov(dl, 0x80);
        a.@int(0x13);
        Store(ax);
        Store(cx);
        Store(dx);
        a.mov(ah, 0x15);
        a.mov(dl, 0x00);
        a.@int(0x13);
        Store(ax);

        a.mov(ax, 0x0201);
        a.mov(cx, 0x0105);
        a.mov(dx, 0x0100);
        a.mov(bx, (ushort)(Buffer + 0x200));
        a.@int(0x13);
        Store(ax);

        a.mov(ax, 0x0301);
        a.mov(cx, 0x0001);
        a.mov(dx, 0x0000);
        a.mov(bx, Buffer);
        a.@int(0x13);
        Store(ax);
        StoreFlags();

        a.mov(ah, 0x08);
        a.mov(dl, 0x81);
        a.@int(0x13);
        Store(ax);
        StoreFlags();

        var halt = a.CreateLabel();
        a.mov(dx, 0x501);
        a.xor(al, al);
        a.@out(dx, al);
        a.Label(ref halt);
        a.cli();
        a.hlt();
        a.jmp(halt);
        using var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), Origin);
        return stream.ToArray();
    }
}
