namespace Emulator.Cli;

/// <summary>The <c>emu</c> command line: dispatches <c>boot</c> and <c>img</c>.</summary>
internal static class EmuCommand
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            stdout.WriteLine("usage: emu boot [options]   run a guest (no drive: the embedded demo guest)");
            return args.Length == 0 ? 2 : 0;
        }

        switch (args[0])
        {
            case "img":
                return Img.ImgCommand.Run(args[1..], stdout, stderr);
            case "boot":
                stdout.WriteLine("emu boot: the machine loop is not built yet; it would build a PC with 32 MiB of RAM and no drives.");
                return 0;
            default:
                stderr.WriteLine($"emu: unknown command '{args[0]}' (try 'emu --help')");
                return 2;
        }
    }
}
