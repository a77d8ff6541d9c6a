namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>
/// -drive if=pflash as QEMU's pc maps system flash (hw/i386/pc_sysfw.c): pflash0 ends at 4 GiB, its last
/// 128 KiB also show below 1 MiB, pflash1 sits below pflash0; impossible flash configurations are refused with
/// the reference QEMU's words. The reads are what QEMU's i440fx-test checks for its pflash case.
/// </summary>
public class SystemFlashTests
{
    private const long FourGigabytes = 1L << 32;
    private const long OneMegabyte = 1L << 20;
    private const int Sector = 4 << 10;

    private static readonly string[] QemuPrefixes = ["qemu-ref-bin: ", "emu-system-x86_64: "];

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-pflash-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [TestCase(64 << 10)]
    [TestCase(256 << 10)]
    [TestCase(12 << 10)]
    public void Pflash0_Image_EndsAtFourGigabytesAndBelowOneMegabyte(int size)
    {
        var image = Pattern(size, 0);
        var path = Write("flash0.bin", image);
        var isa = Math.Min(size, 128 << 10);

        using var machine = new QtestMachine(_dir, "-S", "-drive", $"if=pflash,format=raw,file={path}");
        var high = Read(machine, FourGigabytes - size, 16);
        var low = Read(machine, OneMegabyte - isa, 16);

        Assert.That((high, low), Is.EqualTo((Hex(image.AsSpan(0, 16)), Hex(image.AsSpan(size - isa, 16)))));
    }

    [Test]
    public void Pflash1_Image_LiesBelowPflash0()
    {
        var flash0 = Write("flash0.bin", Pattern(64 << 10, 0));
        var second = Pattern(8 << 10, 7);
        var flash1 = Write("flash1.bin", second);

        using var machine = new QtestMachine(_dir, "-S", "-drive", $"if=pflash,format=raw,file={flash0}", "-drive", $"if=pflash,format=raw,file={flash1}");
        var read = Read(machine, FourGigabytes - (64 << 10) - second.Length, 16);

        Assert.That(read, Is.EqualTo(Hex(second.AsSpan(0, 16))));
    }

    [TestCase("if=pflash,format=raw,index=1,file={0}")]
    [TestCase("if=pflash,format=raw,index=2,file={0}")]
    [TestCase("if=pflash,format=raw,file={1}")]
    public void Pflash_Impossible_RefusedAsReferenceQemu(string drive)
    {
        var reference = SharedFolder.Find("qemu-qtest", "qemu-ref-system-x86_64");
        Assume.That(reference, Is.Not.Null, "../shared/qemu-qtest/qemu-ref-system-x86_64 is not there; the comparison needs it");
        var good = Write("good.bin", Pattern(Sector, 0));
        var odd = Write("odd.bin", Pattern(Sector + 512, 0));
        string[] args = ["-machine", "pc", "-accel", "qtest", "-display", "none", "-nodefaults", "-drive", string.Format(System.Globalization.CultureInfo.InvariantCulture, drive, good, odd)];

        var ours = Refusal(Launcher.Path(), args);
        var qemu = Refusal(reference!, args);

        Assert.That(ours, Is.EqualTo(qemu).And.Not.Empty);
    }

    private static byte[] Pattern(int size, int seed) => [.. Enumerable.Range(0, size).Select(i => (byte)((i * 7) + seed + (i >> 8)))];

    private string Write(string name, byte[] content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    private static string Read(QtestMachine machine, long address, int length) =>
        machine.Qtest.Command($"read 0x{address:x} 0x{length:x}");

    private static string Hex(ReadOnlySpan<byte> bytes) => $"OK 0x{Convert.ToHexStringLower(bytes)}";

    /// <summary>The first error line without the program's name, or empty when the program started (it is then stopped).</summary>
    private static string Refusal(string binary, string[] args)
    {
        using var process = Launcher.StartBinary(binary, args);
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(5_000))
        {
            process.Kill();
            process.WaitForExit();
            return string.Empty;
        }

        var line = error.Result.Split('\n').First(l => !l.StartsWith("WARNING", StringComparison.Ordinal) && !l.StartsWith(' ')).Trim();
        return QemuPrefixes.Aggregate(line, (text, prefix) => text.StartsWith(prefix, StringComparison.Ordinal) ? text[prefix.Length..] : text);
    }
}
