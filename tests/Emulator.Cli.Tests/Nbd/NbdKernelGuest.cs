using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Emulator.Cli.Tests.Nbd;

/// <summary>
/// A tiny Linux guest whose only job is to be the Linux kernel's NBD client: Debian's amd64 kernel
/// (whatever <c>linux-image-amd64</c> depends on, fetched with <c>apt-get download</c>) booted by
/// qemu-system-x86_64 (TCG) with an initramfs built here from busybox, Debian's <c>nbd-client</c> and
/// the libraries <c>ldd</c> finds for it, the kernel's own <c>nbd.ko</c> and <c>e1000.ko</c> (plus any
/// modules they depend on) and <c>nbd-kernel-guest-init.sh</c> as <c>/init</c>. The guest reaches the
/// host's server through QEMU's user network (the host is 10.0.2.2). Downloads are cached in the temp
/// folder, never in the repository. A missing tool or package fails with what to install.
/// </summary>
internal sealed class NbdKernelGuest
{
    public const string ResultPrefix = "NBDKERNEL: RESULT ";
    private const string Tools = "install Debian's qemu-system-x86, busybox-static and cpio (apt-get download also needs an apt-get update'd package list) to run the NBD kernel-client tests";
    private static readonly string[] ModuleNames = ["nbd", "e1000"];
    private static readonly string[] ClientPackages = ["nbd-client", "libnl-3-200", "libnl-genl-3-200"];
    private static readonly TimeSpan BootLimit = TimeSpan.FromMinutes(5);

    private NbdKernelGuest(string kernel, string initramfs, byte[] pattern)
    {
        Kernel = kernel;
        Initramfs = initramfs;
        Pattern = pattern;
    }

    public string Kernel { get; }

    public string Initramfs { get; }

    /// <summary>The bytes the guest writes (the initramfs's <c>/pattern</c>, from its start).</summary>
    public byte[] Pattern { get; }

    /// <summary>Fetches (or reuses) the packages and builds the initramfs in <paramref name="dir"/>.</summary>
    public static NbdKernelGuest Prepare(string dir)
    {
        foreach (var tool in new[] { "qemu-system-x86_64", "apt-get", "apt-cache", "dpkg-deb", "ldd", "cpio", "busybox" })
        {
            if (NbdPeers.Find(tool) is null)
            {
                Assert.Fail($"'{tool}' is not on PATH: {Tools}");
            }
        }

        var cache = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "emu-nbd-kernel-guest")).FullName;
        var kernelPackage = KernelPackage();
        var tree = Path.Combine(dir, "debs");
        foreach (var package in ClientPackages.Prepend(kernelPackage))
        {
            Run("dpkg-deb", "-x", Download(cache, package), tree);
        }

        var kernels = Directory.GetFiles(Path.Combine(tree, "boot"), "vmlinuz-*");
        Assert.That(kernels, Has.Length.EqualTo(1), $"{kernelPackage} holds one kernel");
        var root = Directory.CreateDirectory(Path.Combine(dir, "root")).FullName;
        foreach (var folder in new[] { "bin", "lib/modules", "lib64", "proc", "sys", "dev", "tmp" })
        {
            Directory.CreateDirectory(Path.Combine(root, folder));
        }

        AddBusybox(root);
        var client = Path.Combine(tree, "sbin", "nbd-client");
        File.Copy(client, Path.Combine(root, "bin", "nbd-client"));
        AddLibraries(root, client, Path.Combine(tree, "lib", "x86_64-linux-gnu"));
        AddModules(root, Directory.GetDirectories(Path.Combine(tree, "lib", "modules")).Single());
        var pattern = new byte[65536];
        for (var i = 0; i < pattern.Length; i++)
        {
            pattern[i] = (byte)((i * 31) + 7 + (i >> 8));
        }

        File.WriteAllBytes(Path.Combine(root, "pattern"), pattern);
        var init = Path.Combine(root, "init");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Nbd", "nbd-kernel-guest-init.sh"), init);
        Run("chmod", "755", init);
        var initramfs = Path.Combine(dir, "initramfs.cpio");
        Run("sh", "-c", "cd \"$1\" && find . | cpio -o -H newc --quiet > \"$2\"", "sh", root, initramfs);
        return new NbdKernelGuest(kernels[0], initramfs, pattern);
    }

    /// <summary>
    /// Boots the guest against a server on the host's TCP <paramref name="port"/>; <paramref name="plan"/>
    /// becomes <c>nbdtest_KEY=VALUE</c> on the kernel command line; <paramref name="cpus"/> is the guest's
    /// CPU count (one blk-mq hardware queue, so one NBD connection in use, per CPU). Returns the serial console.
    /// </summary>
    public string Boot(string dir, int port, IReadOnlyDictionary<string, string> plan, int cpus = 1)
    {
        var serial = Path.Combine(dir, $"serial-{port}.txt");
        var append = new StringBuilder("console=ttyS0 panic=-1 loglevel=4");
        append.Append(CultureInfo.InvariantCulture, $" nbdtest_port={port}");
        foreach (var (key, value) in plan)
        {
            append.Append(CultureInfo.InvariantCulture, $" nbdtest_{key}={value}");
        }

        var (exit, output) = RunFor(
            BootLimit,
            "qemu-system-x86_64",
            "-accel", "tcg", "-smp", cpus.ToString(CultureInfo.InvariantCulture), "-m", "256", "-nodefaults", "-display", "none", "-no-reboot",
            "-serial", $"file:{serial}", "-kernel", Kernel, "-initrd", Initramfs, "-append", append.ToString(),
            "-netdev", "user,id=net0", "-device", "e1000,netdev=net0");
        var console = File.Exists(serial) ? File.ReadAllText(serial) : string.Empty;
        Assert.That(exit, Is.Zero, $"qemu-system-x86_64 failed: {output}\nserial:\n{console}");
        return console;
    }

    /// <summary>The guest's verdict: the text after "NBDKERNEL: RESULT ", or a note that it never said.</summary>
    public static string Result(string console) =>
        console.Split('\n').Select(line => line.TrimEnd('\r')).LastOrDefault(line => line.StartsWith(ResultPrefix, StringComparison.Ordinal)) is { } line
            ? line[ResultPrefix.Length..]
            : "(no result line)";

    private static string KernelPackage()
    {
        var depends = Run("apt-cache", "depends", "linux-image-amd64");
        var line = depends.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("Depends: linux-image-", StringComparison.Ordinal));
        Assert.That(line, Is.Not.Null, $"apt-cache depends linux-image-amd64 names no kernel (run apt-get update): {depends}");
        return line!["Depends: ".Length..];
    }

    /// <summary>The cached .deb of <paramref name="package"/>'s candidate version, downloaded once.</summary>
    private static string Download(string cache, string package)
    {
        var version = Run("apt-cache", "policy", package).Split('\n').Select(l => l.Trim())
            .FirstOrDefault(l => l.StartsWith("Candidate:", StringComparison.Ordinal))?["Candidate:".Length..].Trim();
        Assert.That(version, Is.Not.Null.And.Not.EqualTo("(none)"), $"apt knows no version of {package} (run apt-get update)");
        var wanted = Directory.GetFiles(cache, package + "_*.deb")
            .FirstOrDefault(file => Uri.UnescapeDataString(Path.GetFileName(file)).StartsWith($"{package}_{version}_", StringComparison.Ordinal));
        if (wanted is not null)
        {
            return wanted;
        }

        // apt-get download writes into the working folder; a fresh one keeps a half download out of the cache.
        var fresh = Directory.CreateTempSubdirectory("emu-nbd-kernel-dl-").FullName;
        try
        {
            RunIn(fresh, "apt-get", "download", package);
            var file = Directory.GetFiles(fresh, "*.deb").Single();
            var target = Path.Combine(cache, Path.GetFileName(file));
            File.Move(file, target, overwrite: true);
            return target;
        }
        finally
        {
            Directory.Delete(fresh, recursive: true);
        }
    }

    private static void AddBusybox(string root)
    {
        var busybox = NbdPeers.Find("busybox")!;
        File.Copy(busybox, Path.Combine(root, "bin", "busybox"));
        foreach (var applet in Run(busybox, "--list").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (applet != "busybox")
            {
                File.CreateSymbolicLink(Path.Combine(root, "bin", applet), "busybox");
            }
        }

        AddLibraries(root, busybox, libraryPath: null);
    }

    /// <summary>Copies what ldd says <paramref name="binary"/> loads: libraries to /lib, the loader to its own path.</summary>
    private static void AddLibraries(string root, string binary, string? libraryPath)
    {
        var start = new ProcessStartInfo("ldd") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(binary);
        if (libraryPath is not null)
        {
            start.Environment["LD_LIBRARY_PATH"] = libraryPath;
        }

        using var ldd = Process.Start(start)!;
        var output = ldd.StandardOutput.ReadToEnd() + ldd.StandardError.ReadToEnd();
        ldd.WaitForExit();
        Assert.That(output, Does.Not.Contain("not found"), $"ldd {binary}: a library is missing on the host");
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var arrow = line.IndexOf("=> /", StringComparison.Ordinal);
            if (arrow >= 0)
            {
                var library = line[(arrow + 3)..line.LastIndexOf(" (", StringComparison.Ordinal)];
                File.Copy(library, Path.Combine(root, "lib", Path.GetFileName(library)), overwrite: true);
            }
            else if (line.StartsWith('/'))
            {
                var loader = line[..line.IndexOf(" (", StringComparison.Ordinal)];
                var target = Path.Combine(root, loader.TrimStart('/'));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(loader, target, overwrite: true);
            }
        }
    }

    /// <summary>Copies the wanted modules and those they depend on (their .modinfo "depends="), in loading order.</summary>
    private static void AddModules(string root, string modulesTree)
    {
        var files = Directory.GetFiles(modulesTree, "*.ko", SearchOption.AllDirectories)
            .GroupBy(file => Path.GetFileNameWithoutExtension(file).Replace('-', '_'))
            .ToDictionary(group => group.Key, group => group.First());
        var order = new List<string>();
        void Add(string name)
        {
            if (order.Contains(name))
            {
                return;
            }

            Assert.That(files.ContainsKey(name), $"the kernel package has no uncompressed {name}.ko");
            foreach (var dependency in Depends(files[name]))
            {
                Add(dependency);
            }

            order.Add(name);
        }

        foreach (var name in ModuleNames)
        {
            Add(name);
        }

        foreach (var name in order)
        {
            File.Copy(files[name], Path.Combine(root, "lib", "modules", name + ".ko"));
        }

        File.WriteAllLines(Path.Combine(root, "modules.order"), order.Select(name => name + ".ko"));
    }

    private static string[] Depends(string module)
    {
        var bytes = File.ReadAllBytes(module);
        var key = "depends="u8;
        var at = bytes.AsSpan().IndexOf(key);
        Assert.That(at, Is.GreaterThanOrEqualTo(0), $"{module} has no depends= in its .modinfo");
        var rest = bytes.AsSpan(at + key.Length);
        var value = Encoding.ASCII.GetString(rest[..rest.IndexOf((byte)0)]);
        return value.Split(',', StringSplitOptions.RemoveEmptyEntries);
    }

    private static string Run(string tool, params string[] args) => RunIn(null, tool, args);

    private static string RunIn(string? dir, string tool, params string[] args)
    {
        var (exit, output) = RunFor(TimeSpan.FromMinutes(5), tool, args, dir);
        Assert.That(exit, Is.Zero, $"{tool} {string.Join(' ', args)}: {output}");
        return output;
    }

    private static (int Exit, string Output) RunFor(TimeSpan limit, string tool, params string[] args) => RunFor(limit, tool, args, null);

    private static (int Exit, string Output) RunFor(TimeSpan limit, string tool, string[] args, string? dir)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir ?? string.Empty };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill();
            process.WaitForExit();
            Assert.Fail($"{tool} {string.Join(' ', args)} did not finish within {limit.TotalMinutes} minutes: {stdout.Result}{stderr.Result}");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
