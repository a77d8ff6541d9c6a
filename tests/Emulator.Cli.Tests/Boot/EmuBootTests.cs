using Emulator.Firmware.Demo;

namespace Emulator.Cli.Tests.Boot;

/// <summary><c>emu boot</c> end to end, through its command line, as a user runs it.</summary>
public class EmuBootTests
{
    private static (int Status, string Output, string Error) Boot(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var status = EmuCommand.Run(["boot", .. args], new StringReader(string.Empty), output, error);
        return (status, output.ToString(), error.ToString());
    }

    [Test]
    public void Boot_NoDrive_DemoGuestReportsMachineAndPowersOff()
    {
        var (status, output, _) = Boot("--timeout", "60");

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.Zero, "the demo powers off through ACPI: a successful run");
            Assert.That(output, Does.Contain("Booting from ROM..."));
            Assert.That(output, Does.Contain("Base memory (INT 12h): 639 KiB"));
            Assert.That(output, Does.Contain("Extended memory (INT 15h/88h): 31680 KiB"));
            Assert.That(output, Does.Contain("E820 map: 7 entries, usable RAM 32319 KiB"));
            Assert.That(output, Does.Contain("PCI 00:00.0 8086:1237"));
            Assert.That(output, Does.Contain("PCI 00:01.0 8086:7000"));
            Assert.That(output, Does.Contain("Hard disks (BDA 0475h): 2"), "the IDE disk and the virtio-blk disk");
            Assert.That(output, Does.Contain(DemoGuest.DoneLine));
        });
    }

    [Test]
    public void Boot_NoDrive_DemoTourReadsEveryDeviceThroughTheBios()
    {
        var (_, output, _) = Boot("--timeout", "60");

        // Each disk's first sector starts with its label; the guest prints the 16-bit sum of its 256 words.
        static string Line(string drive, int sectors, int sectorSize, byte[] image) =>
            $"drive {drive}: {sectors} x {sectorSize} bytes '{Label(image)}' sum {WordSum(image):X4}h";

        Assert.Multiple(() =>
        {
            Assert.That(output, Does.Contain(Line("00h", 2880, 512, DemoMedia.Floppy())), "floppy through the FDC");
            Assert.That(output, Does.Contain(Line("80h", 8192, 512, DemoMedia.HardDisk())), "IDE disk through ATA");
            Assert.That(output, Does.Contain(Line("81h", 4096, 512, DemoMedia.Virtio())), "virtio-blk");
            Assert.That(output, Does.Contain(Line("E0h", 600, 2048, DemoMedia.Cd())), "CD through ATAPI");
        });
    }

    private static string Label(byte[] image) => System.Text.Encoding.ASCII.GetString(image, 0, Array.IndexOf(image, (byte)0));

    private static int WordSum(byte[] image)
    {
        var sum = 0;
        for (var i = 0; i < 512; i += 2)
        {
            sum += image[i] | (image[i + 1] << 8);
        }

        return sum & 0xFFFF;
    }

    [Test]
    public void Boot_MemoryOption_ChangesWhatTheGuestSees()
    {
        var (_, output, _) = Boot("--memory", "64M", "--timeout", "60");

        Assert.That(output, Does.Contain("Extended memory (INT 15h/88h): 64448 KiB"));
    }

    [Test]
    public void Boot_UntilTextOnScreen_ExitsZero()
    {
        var (status, _, _) = Boot("--until", "CPU vendor", "--timeout", "60");

        Assert.That(status, Is.Zero);
    }

    [Test]
    public void Boot_DriveWithoutControllerModel_NoBootableDeviceAndStatus1()
    {
        var image = Path.Combine(Path.GetTempPath(), $"emu-boot-test-{Guid.NewGuid():N}.img");
        File.WriteAllBytes(image, new byte[512 * 16]);
        (int Status, string Output, string Error) run;
        try
        {
            run = Boot("--until", "never printed", "--timeout", "30", "--drive", $"file={image},format=raw");
        }
        finally
        {
            File.Delete(image);
        }

        var (status, output, error) = run;
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(1), "nothing can boot, the BIOS halts, the run ends before the timeout");
            Assert.That(output, Does.Contain("No bootable device."));
            Assert.That(error, Does.Contain("halted with interrupts disabled"));
        });
    }

    [Test]
    public void Boot_DriveWithSnapshotOn_ImageOpenedThroughOverlayAndUntouched()
    {
        var image = Path.Combine(Path.GetTempPath(), $"emu-boot-test-{Guid.NewGuid():N}.img");
        File.WriteAllBytes(image, Enumerable.Range(0, 8192).Select(i => (byte)i).ToArray());
        (int Status, string Output, string Error) run;
        try
        {
            run = Boot("--drive", $"file={image},format=raw,snapshot=on", "--timeout", "30");
            Assert.Multiple(() =>
            {
                // The image is the IDE primary master: the BIOS reads its first sector, which has no boot signature.
                Assert.That(run.Output, Does.Contain("Booting from Hard Disk...").And.Contain("Boot failed: not a bootable disk"));
                Assert.That(File.ReadAllBytes(image), Is.EqualTo(Enumerable.Range(0, 8192).Select(i => (byte)i).ToArray()));
            });
        }
        finally
        {
            File.Delete(image);
        }
    }

    [Test]
    public void Boot_ScreenDump_PrintsWholeScreen()
    {
        var (_, output, _) = Boot("--screen-dump", "--timeout", "60");

        Assert.That(output, Does.Contain("---- screen ----").And.Contain("Emulator.Storage BIOS"));
    }

    [TestCase("--frobnicate", "unknown option '--frobnicate' (try 'emu boot --help')")]
    [TestCase("--boot", "--boot needs a value")]
    [TestCase("--boot x", "--boot takes letters a (floppy), c (hard disk), d (CD-ROM), not 'x'")]
    [TestCase("--memory lots", "--memory takes a size between 1M and 2G, not 'lots'")]
    [TestCase("--timeout -3", "--timeout takes a number of seconds, not '-3'")]
    [TestCase("--rtc-base yesterday", "--rtc-base takes a date and time such as 2026-01-01T00:00:00, not 'yesterday'")]
    [TestCase("--drive if=ide", "--drive: file= is required")]
    [TestCase("--drive file=x,if=scsi", "--drive: if must be one of ide, floppy, virtio, not 'scsi'")]
    [TestCase("--drive file=x,colour=red", "--drive: unknown key 'colour'")]
    public void Boot_BadOption_OneLineErrorAndStatus2(string args, string message)
    {
        var (status, output, error) = Boot(args.Split(' '));

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(2));
            Assert.That(error.TrimEnd(), Is.EqualTo($"emu boot: {message}"));
            Assert.That(output, Is.Empty);
        });
    }

    [Test]
    public void Boot_MissingImage_NamesFileAndFails()
    {
        var (status, _, error) = Boot("--hda", "/nonexistent/disk.img");

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(1));
            Assert.That(error.TrimEnd(), Is.EqualTo("emu boot: Could not open '/nonexistent/disk.img': No such file or directory"));
        });
    }

    [Test]
    public void Boot_SameGuestTwiceWithRtcBase_IdenticalOutput()
    {
        var first = Boot("--rtc-base", "2026-11-21T13:45:30", "--timeout", "60", "--screen-dump");
        var second = Boot("--rtc-base", "2026-11-21T13:45:30", "--timeout", "60", "--screen-dump");

        // The final screen, not the streamed lines (those are sampled on the host's clock).
        static string Screen(string output) => output[output.LastIndexOf("---- screen ----", StringComparison.Ordinal)..];

        Assert.Multiple(() =>
        {
            Assert.That(Screen(second.Output), Is.EqualTo(Screen(first.Output)));
            Assert.That(first.Output, Does.Contain("RTC time (INT 1Ah): 13:45:30"));
        });
    }

    [Test]
    public void Emu_UnknownCommand_Status2()
    {
        var error = new StringWriter();

        var status = EmuCommand.Run(["frob"], new StringReader(string.Empty), new StringWriter(), error);

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(2));
            Assert.That(error.ToString(), Does.Contain("unknown command 'frob'"));
        });
    }

}
