using Emulator.Block.Backend;

namespace Emulator.Cli.Img;

/// <summary><c>emu img resize [-f fmt] [--shrink] [-q] filename [+|-]size</c>.</summary>
internal static class ImgResize
{
    public static int Run(string[] args, TextWriter stdout)
    {
        // "-1M" is a size, not an option: ImgArguments keeps arguments that start with a digit after '-' positional.
        var parsed = ImgArguments.Parse(args, "-f");
        parsed.AllowOnly("-f", "--shrink", "-q");
        if (parsed.Positional.Count != 2)
        {
            throw new ImgUsageException("Expecting image file name and size");
        }

        using var session = new ImgSession();
        var node = session.Open(parsed.Positional[0], parsed.Get("-f"), readOnly: false);
        var text = parsed.Positional[1];
        var size = text[0] switch
        {
            '+' => checked(node.Length + ImgSize.Parse(text[1..])),
            '-' => node.Length - ImgSize.Parse(text[1..]),
            _ => ImgSize.Parse(text),
        };
        if (size < 0)
        {
            throw new ImgUsageException("New image size must be positive");
        }

        if (size < node.Length && !parsed.Has("--shrink"))
        {
            throw new ImgUsageException("Use the --shrink option to perform a shrink operation.");
        }

        var error = session.Io(node).Truncate(size);
        if (error != BlockError.None)
        {
            throw new ImgFailedException(error == BlockError.InvalidArgument
                ? "The new size must be a multiple of 512 bytes and fit the image's L1 table limit"
                : $"Error resizing image: {error.Describe()}");
        }

        if (!parsed.Has("-q"))
        {
            stdout.WriteLine("Image resized.");
        }

        return 0;
    }
}
