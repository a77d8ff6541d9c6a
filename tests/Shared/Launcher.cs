using System.Diagnostics;

namespace Emulator.TestSupport;

/// <summary>The build's bin/emu-system-x86_64, started as a qtest harness starts QEMU.</summary>
internal static class Launcher
{
    public static string Path()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Emulator.Storage.sln")))
            {
                return System.IO.Path.Combine(dir.FullName, "bin", "emu-system-x86_64");
            }
        }

        throw new FileNotFoundException("repository root not found above the test assembly");
    }

    public static Process Start(params string[] args) => StartBinary(Path(), args);

    /// <summary>Starts <paramref name="binary"/> (ours, or a reference QEMU) with stdout and stderr redirected.</summary>
    public static Process StartBinary(string binary, params string[] args) => StartBinary(binary, redirectInput: false, args);

    /// <summary>As <see cref="StartBinary(string, string[])"/>, with stdin redirected too (-qmp stdio, a guest's keyboard).</summary>
    public static Process StartWithInput(string binary, params string[] args) => StartBinary(binary, redirectInput: true, args);

    private static Process StartBinary(string binary, bool redirectInput, string[] args)
    {
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardInput = redirectInput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }
}
