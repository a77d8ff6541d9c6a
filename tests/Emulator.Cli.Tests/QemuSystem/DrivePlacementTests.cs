
namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>
/// -drive placement (index, bus, unit) and its refusals, run on emu-system-x86_64 and on the shared
/// reference QEMU with the same command line: both refuse with the same message, or both accept.
/// </summary>
public class DrivePlacementTests
{
    private const string ReferencePrefix = "qemu-ref-bin: ";
    private const string OurPrefix = "emu-system-x86_64: ";
    private const int DiskBytes = 1 << 20;

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-placement-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [TestCase("if=ide,bus=2")]
    [TestCase("if=ide,unit=2")]
    [TestCase("if=ide,index=1,bus=1")]
    [TestCase("if=ide,index=1,unit=0")]
    [TestCase("if=ide,bus=1,unit=1", "if=ide,index=3")]
    [TestCase("if=ide,index=0", "if=ide,bus=0,unit=0")]
    [TestCase("if=floppy,index=2")]
    [TestCase("if=floppy,unit=1", "if=floppy,index=1")]
    [TestCase("if=ide,index=abc")]
    [TestCase("if=ide,unit=x")]
    [TestCase("if=ide,bus=1,unit=1", "if=ide,bus=1", "if=ide,bus=1")]
    [TestCase("if=ide,serial=abc")]
    public void Drive_Refused_SameMessageAsReferenceQemu(params string[] drives)
    {
        var reference = SharedFolder.Find("qemu-qtest", "qemu-ref-system-x86_64");
        Assume.That(reference, Is.Not.Null, "../shared/qemu-qtest/qemu-ref-system-x86_64 is not there; the comparison needs it");
        var args = Arguments(drives);

        var ours = Refusal(Launcher.Path(), args, OurPrefix);
        var qemu = Refusal(reference!, args, ReferencePrefix);

        Assert.That(ours, Is.EqualTo(qemu).And.Not.Empty);
    }

    [TestCase("if=ide,bus=1,unit=1", "ide1-hd1")]
    [TestCase("if=ide,bus=1", "ide1-hd0")]
    [TestCase("if=ide,unit=1", "ide0-hd1")]
    [TestCase("if=floppy,unit=1", "floppy1")]
    public void Drive_BusAndUnit_PlaceAndNameTheDrive(string drive, string name)
    {
        var socket = Path.Combine(_dir, "qmp.sock");
        using var machine = new QtestMachine(_dir, [.. Arguments([drive])[2..], "-qmp", $"unix:{socket},server=on,wait=off"]);
        using var qmp = QmpLineClient.Connect(socket);
        qmp.Execute("qmp_capabilities");

        var blocks = qmp.Execute("query-block")["return"]!.AsArray();

        Assert.That(blocks.Select(b => (string?)b!["device"]), Does.Contain(name));
    }

    private string[] Arguments(string[] drives)
    {
        var disk = Path.Combine(_dir, "d.img");
        File.WriteAllBytes(disk, new byte[DiskBytes]);
        var args = new List<string> { "-machine", "pc", "-accel", "qtest", "-display", "none" };
        foreach (var drive in drives)
        {
            args.AddRange(["-drive", $"file={disk},format=raw,file.locking=off,{drive}"]);
        }

        return [.. args];
    }

    /// <summary>The error line without the program's name, or empty when the program started (it is then stopped).</summary>
    private static string Refusal(string binary, string[] args, string prefix)
    {
        using var process = Launcher.StartBinary(binary, args);
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(5_000))
        {
            process.Kill();
            process.WaitForExit();
            return string.Empty;
        }

        var line = error.Result.Trim();
        return line.StartsWith(prefix, StringComparison.Ordinal) ? line[prefix.Length..] : line;
    }
}
