using Emulator.Block.Backend;
using Emulator.Block.Graph;

namespace Emulator.Cli.Img;

/// <summary>
/// <c>emu img compare [-f fmt] [-F fmt] [-s] [-q] filename1 filename2</c>: compares guest views.
/// Exit codes as qemu-img: 0 identical, 1 different, 2 error. Without -s a size difference is fine
/// when the larger image reads zeroes past the smaller one's end. Mismatches are reported at the
/// 512-byte sector where they start, as qemu-img reports them.
/// </summary>
internal static class ImgCompare
{
    private const int ExitDifferent = 1;
    private const int ExitError = 2;
    private const int ChunkSize = 1 << 20;
    private const int SectorSize = 512;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var parsed = ImgArguments.Parse(args, "-f", "-F", "-T");
        parsed.AllowOnly("-f", "-F", "-s", "-q", "-p", "-T", "-U", "--force-share");
        if (parsed.Positional.Count != 2)
        {
            throw new ImgUsageException("Expecting two image file names");
        }

        var quiet = parsed.Has("-q");
        using var session = new ImgSession();
        BlockDriverState first, second;
        try
        {
            first = session.Open(parsed.Positional[0], parsed.Get("-f"), readOnly: true);
            second = session.Open(parsed.Positional[1], parsed.Get("-F") ?? parsed.Get("-f"), readOnly: true);
        }
        catch (BlockOperationException e)
        {
            stderr.WriteLine($"emu img: {e.Message}");
            return ExitError;
        }

        if (parsed.Has("-s") && first.Length != second.Length)
        {
            Say(stdout, quiet, "Strict mode: Image size mismatch!");
            return ExitDifferent;
        }

        if (first.Length != second.Length)
        {
            Say(stdout, quiet, "Warning: Image size mismatch!");
        }

        var a = new byte[ChunkSize];
        var b = new byte[ChunkSize];
        for (var offset = 0L; offset < Math.Max(first.Length, second.Length); offset += ChunkSize)
        {
            var length = (int)Math.Min(ChunkSize, Math.Max(first.Length, second.Length) - offset);
            if (!Read(first, offset, a.AsSpan(0, length), a, stderr) || !Read(second, offset, b.AsSpan(0, length), b, stderr))
            {
                return ExitError;
            }

            var same = a.AsSpan(0, length).CommonPrefixLength(b.AsSpan(0, length));
            if (same < length)
            {
                var at = offset + same;
                Say(stdout, quiet, $"Content mismatch at offset {at - (at % SectorSize)}!");
                return ExitDifferent;
            }
        }

        Say(stdout, quiet, "Images are identical.");
        return 0;
    }

    /// <summary>Reads a chunk; past the end of the shorter image the chunk reads as zeroes.</summary>
    private static bool Read(BlockDriverState node, long offset, Span<byte> span, byte[] buffer, TextWriter stderr)
    {
        span.Clear();
        if (offset >= node.Length)
        {
            return true;
        }

        var length = (int)Math.Min(span.Length, node.Length - offset);
        var error = ImgSession.Wait(node.ReadAsync(offset, buffer.AsMemory(0, length)));
        if (error != BlockError.None)
        {
            stderr.WriteLine($"emu img: error while reading offset {offset} of {node.Driver.Filename}: {error.Describe()}");
            return false;
        }

        return true;
    }

    private static void Say(TextWriter stdout, bool quiet, string line)
    {
        if (!quiet)
        {
            stdout.WriteLine(line);
        }
    }
}
