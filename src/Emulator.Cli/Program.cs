namespace Emulator.Cli;

internal static class Program
{
    private static int Main(string[] args) => EmuCommand.Run(args, Console.Out, Console.Error);
}
