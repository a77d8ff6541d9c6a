namespace Emulator.Cli.Img;

/// <summary>A command line <c>emu img</c> cannot run: printed as one line, exit code 1 (as qemu-img).</summary>
internal sealed class ImgUsageException : Exception
{
    public ImgUsageException(string message)
        : base(message)
    {
    }
}
