using Emulator.Block.Backend;
using Emulator.Hosting;
using Emulator.Devices.Ide;
using Emulator.Firmware.Services;
using Emulator.Machine.Loop;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Cli.Tests.Boot;

/// <summary>
/// The geometry INT 13h AH=08h reports for an IDE disk follows the translation the board writes to CMOS 39h
/// (QEMU's bios-chs-trans, SeaBIOS's setup_translation): a 4 GiB disk of 8322/16/63 seen through each of
/// none, LBA, LARGE and R-ECHS. CX holds the last usable cylinder (the BIOS keeps one back) and sectors,
/// DH the last head.
/// </summary>
public class BiosDiskTranslationTests
{
    private const ushort Origin = 0x7C00;
    private const uint Results = 0x0500;
    private const long DiskSectors = 8_388_608;

    [TestCase(BiosChsTranslation.None, 0xFEFF, 0x0F01, TestName = "Int13GetParameters_TranslationNone_CylindersClippedTo1024")]
    [TestCase(BiosChsTranslation.Lba, 0x08BF, 0xFE01, TestName = "Int13GetParameters_TranslationLba_522Cylinders255Heads")]
    [TestCase(BiosChsTranslation.Large, 0xFEFF, 0x7F01, TestName = "Int13GetParameters_TranslationLarge_128HeadsClippedTo1024")]
    [TestCase(BiosChsTranslation.Rechs, 0x28BF, 0xEF01, TestName = "Int13GetParameters_TranslationRechs_554Cylinders240Heads")]
    public void Int13GetParameters_Translation_ReportsSeaBiosGeometry(BiosChsTranslation translation, int cx, int dx)
    {
        var image = Path.Combine(Path.GetTempPath(), $"bios-translation-{Guid.NewGuid():N}.img");
        using (var file = File.Create(image))
        {
            file.SetLength(DiskSectors * 512);
        }

        try
        {
            var machine = Run(image, translation);

            Assert.Multiple(() =>
            {
                Assert.That(machine.Memory.ReadWord(Results), Is.EqualTo(cx), "CX");
                Assert.That(machine.Memory.ReadWord(Results + 2), Is.EqualTo(dx), "DX");
            });
        }
        finally
        {
            File.Delete(image);
        }
    }

    private static PcMachine Run(string image, BiosChsTranslation translation)
    {
        var machine = new PcMachine(new PcMachineOptions { Idle = IdleMode.Skip, RtcStartTime = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) });
        var host = new EmulatorHost(machine);
        var disk = host.Layer.OpenImage(new BlockBackendOptions { Name = "ide0-hd0" }, image, "raw");
        host.Devices.AttachIde(0, disk, cdrom: false, new IdeDriveOptions { DeviceId = "ide0-hd0", Translation = translation });
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
        a.mov(ss, ax);
        a.mov(sp, Origin);
        a.sti();
        a.mov(ah, 0x08);
        a.mov(dl, 0x80);
        a.@int(0x13);
        a.mov(__word_ptr[(ushort)Results], cx);
        a.mov(__word_ptr[(ushort)(Results + 2)], dx);
        a.mov(dx, 0x501);
        a.xor(al, al);
        a.@out(dx, al);
        var halt = a.CreateLabel();
        a.Label(ref halt);
        a.cli();
        a.hlt();
        a.jmp(halt);
        using var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), Origin);
        return stream.ToArray();
    }
}
