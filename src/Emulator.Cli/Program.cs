namespace Emulator.Cli;

internal static class Program
{
    private static int Main(string[] args) => EmuCommand.Run(args, Console.In, Console.Out, Console.Error);
}
