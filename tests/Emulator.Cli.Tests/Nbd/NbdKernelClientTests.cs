using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Emulator.Cli.Tests.Nbd;

/// <summary>
/// The Linux kernel's NBD client (nbd.ko, set up by Debian's nbd-client) against <c>emu nbd</c>, with
/// qemu-nbd as the control: a guest (<see cref="NbdKernelGuest"/>) connects over QEMU's user network,
/// reads the whole device and checks its MD5, writes through the page cache and with O_DIRECT,
/// flushes, reads back, discards (both servers run with --discard=unmap, so the range reads as zeros), disconnects and powers off. The host then checks that the image file
/// holds exactly those changes while the server still runs (acknowledged and flushed means in the
/// file), and that a read-only export refuses the write and stays unchanged.
/// </summary>
[Explicit("boots Linux under QEMU TCG, about 30 s a boot; CI runs the NbdKernel category")]
[Category("NbdKernel")]
public class NbdKernelClientTests
{
    private const int ImageSize = 16 << 20;
    private const int BufferedBlock = 16;
    private const int BufferedBlocks = 16;
    private const int DirectSector = 8193;
    private const int DirectSectors = 3;
    private const int DiscardOffset = 8 << 20;
    private const int DiscardLength = 1 << 20;
    private const int LargeBlock = 4096;
    private const int LargeDirectBlock = 1025;
    private const int LargeDirectBlocks = 3;
    private const int Connections = 2;
    private const string Emu = "emu nbd";
    private const string QemuNbd = "qemu-nbd";

    private string _dir = null!;
    private NbdKernelGuest _guest = null!;

    [OneTimeSetUp]
    public void PrepareGuest()
    {
        _dir = Directory.CreateTempSubdirectory("emu-nbd-kernel-").FullName;
        var started = Stopwatch.StartNew();
        _guest = NbdKernelGuest.Prepare(_dir);
        TestContext.Progress.WriteLine($"guest prepared in {started.Elapsed.TotalSeconds:F1} s: {_guest.Kernel}");
    }

    [OneTimeTearDown]
    public void DeleteFolder() => Directory.Delete(_dir, recursive: true);

    [TestCase(Emu)]
    [TestCase(QemuNbd)]
    public void KernelClient_ReadWriteFlushDiscard_ImageHoldsExactlyTheWrites(string server)
    {
        var (image, original) = Image(server, "rw");
        var expected = (byte[])original.Clone();
        _guest.Pattern.AsSpan(0, BufferedBlocks * 4096).CopyTo(expected.AsSpan(BufferedBlock * 4096));
        _guest.Pattern.AsSpan(0, DirectSectors * 512).CopyTo(expected.AsSpan(DirectSector * 512));
        expected.AsSpan(DiscardOffset, DiscardLength).Clear();
        using var peers = new NbdPeers(_dir);
        var (process, port) = Start(peers, server, image, readOnly: false);

        var console = Boot(port, original, "rw");
        // emu nbd holds the image under flock(LOCK_EX), which .NET's own open would trip over; cp does not lock.
        peers.RunOk("cp", image, image + ".while-served");
        var afterGuest = File.ReadAllBytes(image + ".while-served");
        var exit = NbdPeers.Terminate(process);

        Assert.Multiple(() =>
        {
            Assert.That(NbdKernelGuest.Result(console), Is.EqualTo("PASS"), console);
            Assert.That(FirstDifference(afterGuest, expected), Is.EqualTo(-1), "first offset where the image differs from the guest's writes");
            Assert.That(exit, Is.Zero, $"{server} on SIGTERM");
        });
    }

    /// <summary>
    /// A qcow2 overlay on a qcow2 base (the export is the chain), set up with <c>nbd-client -b 4096 -C 2</c>:
    /// 4 KiB logical blocks and two connections, which nbd-client only opens when the export advertises
    /// NBD_FLAG_CAN_MULTI_CONN (both servers do with <c>-e 2</c>). The kernel spreads requests over both
    /// sockets and sends each flush on one of them, so the flushed overlay must hold every write while the
    /// server still runs; afterwards qemu-img finds the overlay clean and the base untouched.
    /// </summary>
    [TestCase(Emu)]
    [TestCase(QemuNbd)]
    public void KernelClient_Qcow2ChainTwoConnections4KiBlocks_OverlayHoldsExactlyTheWrites(string server)
    {
        var (raw, original) = Image(server, "chain");
        using var peers = new NbdPeers(_dir);
        var baseImage = Path.ChangeExtension(raw, ".base.qcow2");
        var overlay = Path.ChangeExtension(raw, ".overlay.qcow2");
        peers.RunOk("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, baseImage);
        peers.RunOk("qemu-img", "create", "-q", "-f", "qcow2", "-b", baseImage, "-F", "qcow2", overlay);
        var expected = (byte[])original.Clone();
        _guest.Pattern.AsSpan(0, BufferedBlocks * 4096).CopyTo(expected.AsSpan(BufferedBlock * 4096));
        _guest.Pattern.AsSpan(0, LargeDirectBlocks * LargeBlock).CopyTo(expected.AsSpan(LargeDirectBlock * LargeBlock));
        expected.AsSpan(DiscardOffset, DiscardLength).Clear();
        var expectedFile = raw + ".expected";
        File.WriteAllBytes(expectedFile, expected);
        var baseSum = Convert.ToHexStringLower(MD5.HashData(File.ReadAllBytes(baseImage)));
        var (process, port) = Start(peers, server, overlay, readOnly: false, "qcow2", ["-e", Connections.ToString(CultureInfo.InvariantCulture)]);

        var console = Boot(port, original, "rw", new Dictionary<string, string>
        {
            ["bs"] = LargeBlock.ToString(CultureInfo.InvariantCulture),
            ["conns"] = Connections.ToString(CultureInfo.InvariantCulture),
            ["dirseek"] = LargeDirectBlock.ToString(CultureInfo.InvariantCulture),
            ["dircount"] = LargeDirectBlocks.ToString(CultureInfo.InvariantCulture),
        }, cpus: Connections);
        // -U: qemu-img reads beside the server's lock; what it sees is what the flushes put in the files.
        var whileServed = peers.Run("qemu-img", "compare", "-U", "-f", "qcow2", "-F", "raw", overlay, expectedFile);
        var exit = NbdPeers.Terminate(process);
        var check = peers.Run("qemu-img", "check", "-f", "qcow2", overlay);
        var afterExit = peers.Run("qemu-img", "compare", "-f", "qcow2", "-F", "raw", overlay, expectedFile);

        Assert.Multiple(() =>
        {
            Assert.That(NbdKernelGuest.Result(console), Is.EqualTo("PASS"), console);
            Assert.That(console, Does.Contain($"sector {LargeBlock} setup netlink"));
            Assert.That(console, Does.Contain("NBDKERNEL: queue hctx1 (cpus 1)"), "nbd0 has a second hardware queue, so a second connection");
            Assert.That(whileServed, Is.EqualTo((0, "Images are identical.\n")), "qemu-img compare while served");
            Assert.That(exit, Is.Zero, $"{server} on SIGTERM");
            Assert.That(check.ExitCode, Is.Zero, check.Output);
            Assert.That(check.Output, Does.StartWith("No errors were found on the image."), "qemu-img check of the overlay");
            Assert.That(afterExit.ExitCode, Is.Zero, afterExit.Output);
            Assert.That(Convert.ToHexStringLower(MD5.HashData(File.ReadAllBytes(baseImage))), Is.EqualTo(baseSum), "the base image changed");
        });
    }

    [TestCase(Emu)]
    [TestCase(QemuNbd)]
    public void KernelClient_ReadOnlyExport_WriteRefusedAndImageUnchanged(string server)
    {
        var (image, original) = Image(server, "ro");
        using var peers = new NbdPeers(_dir);
        var (process, port) = Start(peers, server, image, readOnly: true);

        // This boot also covers nbd-client's ioctl setup path (-L: NBD_SET_SOCK and NBD_DO_IT instead of netlink).
        var console = Boot(port, original, "ro", new Dictionary<string, string> { ["setup"] = "ioctl" });
        NbdPeers.Terminate(process);

        Assert.Multiple(() =>
        {
            Assert.That(NbdKernelGuest.Result(console), Is.EqualTo("PASS"), console);
            Assert.That(console, Does.Contain("NBDKERNEL: write refused"));
            Assert.That(console, Does.Contain("setup ioctl"));
            Assert.That(FirstDifference(File.ReadAllBytes(image), original), Is.EqualTo(-1), "first offset where the image changed");
        });
    }

    private (string Path, byte[] Content) Image(string server, string mode)
    {
        var path = Path.Combine(_dir, $"{server.Replace(' ', '-')}-{mode}.raw");
        var content = new byte[ImageSize];
        new Random(ImageSize + mode.Length + server.Length).NextBytes(content);
        File.WriteAllBytes(path, content);
        return (path, content);
    }

    private (Process Process, int Port) Start(NbdPeers peers, string server, string image, bool readOnly, string format = "raw", string[]? extra = null)
    {
        var port = FreePort();
        var pidFile = Path.Combine(_dir, $"server-{port}.pid");
        List<string> common = ["-p", port.ToString(CultureInfo.InvariantCulture), "-b", "127.0.0.1", "-x", "e", "-t", "--pid-file", pidFile, "-f", format, "--discard=unmap", .. extra ?? []];
        if (readOnly)
        {
            common.Add("-r");
        }

        var process = server == Emu
            ? peers.StartServer(pidFile, "dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "emu.dll"), "nbd", .. common, image])
            : peers.StartServer(pidFile, "qemu-nbd", [.. common, image]);
        return (process, port);
    }

    private string Boot(int port, byte[] original, string mode, IReadOnlyDictionary<string, string>? overrides = null, int cpus = 1)
    {
        var plan = new Dictionary<string, string>
        {
            ["export"] = "e",
            ["size"] = ImageSize.ToString(CultureInfo.InvariantCulture),
            ["md5"] = Convert.ToHexStringLower(MD5.HashData(original)),
            ["mode"] = mode,
            ["bufseek"] = BufferedBlock.ToString(CultureInfo.InvariantCulture),
            ["bufcount"] = BufferedBlocks.ToString(CultureInfo.InvariantCulture),
            ["dirseek"] = DirectSector.ToString(CultureInfo.InvariantCulture),
            ["dircount"] = DirectSectors.ToString(CultureInfo.InvariantCulture),
            ["discardoff"] = DiscardOffset.ToString(CultureInfo.InvariantCulture),
            ["discardlen"] = DiscardLength.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            plan[key] = value;
        }

        var started = Stopwatch.StartNew();
        var console = _guest.Boot(_dir, port, plan, cpus);
        TestContext.Out.WriteLine($"boot took {started.Elapsed.TotalSeconds:F1} s; guest said:");
        foreach (var line in console.Split('\n').Where(line => line.StartsWith("NBDKERNEL:", StringComparison.Ordinal) || line.Contains("nbd", StringComparison.Ordinal)))
        {
            TestContext.Out.WriteLine("  " + line.TrimEnd('\r'));
        }

        return console;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static long FirstDifference(byte[] actual, byte[] expected)
    {
        if (actual.Length != expected.Length)
        {
            return Math.Min(actual.Length, expected.Length);
        }

        var at = actual.AsSpan().CommonPrefixLength(expected);
        return at == actual.Length ? -1 : at;
    }
}
