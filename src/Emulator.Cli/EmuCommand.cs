using Emulator.Cli.Boot;
using Emulator.Cli.QemuSystem;

namespace Emulator.Cli;

/// <summary>The <c>emu</c> command line: dispatches <c>boot</c>, <c>img</c>, <c>system</c>, <c>profile</c> and <c>nbd</c>.</summary>
internal static class EmuCommand
{
    private const string Usage = """
        usage: emu <command> [options]
          boot    run a guest (no drive: the embedded demo guest)
          img     disk images: create, info, check, convert, resize, map, compare, bench
          system  QEMU-compatible command line (what bin/emu-system-x86_64 runs)
          profile summarise an I/O trace written with --io-trace
          nbd     serve an image over NBD (qemu-nbd's options)
        Run 'emu <command> --help' for a command's options.
        """;

    public static int Run(string[] args, TextReader input, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0)
        {
            stderr.WriteLine(Usage);
            return 2;
        }

        switch (args[0])
        {
            case "-h" or "--help":
                stdout.WriteLine(Usage);
                return 0;
            case "boot":
                return BootCommand.Run(args[1..], input, stdout, stderr);
            case "img":
                return Img.ImgCommand.Run(args[1..], stdout, stderr);
            case "system":
                return QemuSystemCommand.Run(args[1..], stdout, stderr);
            case "profile":
                return Profile.ProfileCommand.Run(args[1..], stdout, stderr);
            case "nbd":
                return Nbd.NbdCommand.Run(args[1..], stdout, stderr);
            default:
                stderr.WriteLine($"emu: unknown command '{args[0]}' (try 'emu --help')");
                return 2;
        }
    }
}
