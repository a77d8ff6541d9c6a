namespace Emulator.Cli.Img;

/// <summary>An <c>emu img</c> operation that failed part-way (an I/O error), with the exit code qemu-img gives for it.</summary>
internal sealed class ImgFailedException : Exception
{
    public ImgFailedException(string message, int exitCode = 1)
        : base(message)
    {
        ExitCode = exitCode;
    }

    public int ExitCode { get; }
}
