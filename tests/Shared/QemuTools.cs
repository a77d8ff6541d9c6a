using System.Diagnostics;

namespace Emulator.TestSupport;

/// <summary>Runs Debian's qemu-img and qemu-io for interop tests; a test that needs them is ignored (reported, not passed) when they are missing.</summary>
internal static class QemuTools
{
    private static readonly Lazy<string?> QemuImgPath = new(() => Find("qemu-img"));
    private static readonly Lazy<string?> QemuIoPath = new(() => Find("qemu-io"));

    public static void Require()
    {
        if (QemuImgPath.Value is null || QemuIoPath.Value is null)
        {
            Assert.Ignore("qemu-img/qemu-io are not on PATH (install qemu-utils); interop test not run");
        }
    }

    public static string Img(params string[] args) => Run(QemuImgPath.Value!, args, expectSuccess: true).Output;

    public static (int ExitCode, string Output) ImgStatus(params string[] args) => Run(QemuImgPath.Value!, args, expectSuccess: false);

    public static string Io(string image, params string[] commands)
    {
        var args = new List<string> { "-f", "qcow2" };
        foreach (var command in commands)
        {
            args.Add("-c");
            args.Add(command);
        }

        args.Add(image);
        var (_, output) = Run(QemuIoPath.Value!, [.. args], expectSuccess: true);
        if (output.Contains("error", StringComparison.OrdinalIgnoreCase) || output.Contains("failed", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"qemu-io {string.Join(' ', args)} failed: {output}");
        }

        return output;
    }

    private static (int ExitCode, string Output) Run(string tool, string[] args, bool expectSuccess)
    {
        var start = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        var output = stdout.Result + stderr;
        if (expectSuccess && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(tool)} {string.Join(' ', args)} exited with {process.ExitCode}: {output}");
        }

        return (process.ExitCode, output);
    }

    private static string? Find(string name)
    {
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':'))
        {
            var candidate = Path.Combine(folder, name);
            if (folder.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
