using Emulator.Block.Backend;

namespace Emulator.Cli.Img;

/// <summary>
/// <c>emu img compare [-f fmt] [-F fmt] [-s] [-q] [-p] filename1 filename2</c>: compares guest views.
/// Exit codes as qemu-img: 0 identical, 1 different, 2 error. Without -s a size difference is fine
/// when the larger image reads zeroes past the smaller one's end. Mismatches are reported at the
/// 512-byte sector where they start, as qemu-img reports them. <c>-p</c> prints qemu-img's progress
/// lines (<see cref="ImgProgress"/>, a line per 2%) and a newline when the command ends, whatever its result.
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
        using var progress = new ImgProgress(stdout, stderr, parsed.Has("-p") && !quiet, ImgProgress.CompareMinSkip);
        try
        {
            return Compare(parsed, quiet, stdout, stderr, progress);
        }
        finally
        {
            progress.End();
        }
    }

    /// <summary>
    /// qemu-img's order: progress from 0 once both images are open, the part both images have
    /// compared first, then (sizes differing) the warning and the rest of the larger image checked for
    /// zeroes; progress counts against the larger size.
    /// </summary>
    private static int Compare(ImgArguments parsed, bool quiet, TextWriter stdout, TextWriter stderr, ImgProgress progress)
    {
        using var session = new ImgSession();
        BlockBackend first, second;
        try
        {
            first = session.Io(session.Open(parsed.Positional[0], parsed.Get("-f"), readOnly: true));
            second = session.Io(session.Open(parsed.Positional[1], parsed.Get("-F") ?? parsed.Get("-f"), readOnly: true));
        }
        catch (BlockOperationException e)
        {
            stderr.WriteLine($"emu img: {e.Message}");
            return ExitError;
        }

        progress.Report(0);
        if (parsed.Has("-s") && first.Length != second.Length)
        {
            Say(stdout, quiet, "Strict mode: Image size mismatch!");
            return ExitDifferent;
        }

        var total = Math.Max(first.Length, second.Length);
        var common = Math.Min(first.Length, second.Length);
        var a = new byte[ChunkSize];
        var b = new byte[ChunkSize];
        for (var offset = 0L; offset < common; offset += ChunkSize)
        {
            var length = (int)Math.Min(ChunkSize, common - offset);
            if (!Read(first, offset, a.AsSpan(0, length), a, stderr) || !Read(second, offset, b.AsSpan(0, length), b, stderr))
            {
                return ExitError;
            }

            var same = a.AsSpan(0, length).CommonPrefixLength(b.AsSpan(0, length));
            if (same < length)
            {
                return Mismatch(stdout, quiet, offset + same);
            }

            progress.Report((offset + length) * 100.0 / total);
        }

        if (first.Length != second.Length)
        {
            Say(stdout, quiet, "Warning: Image size mismatch!");
            var larger = first.Length > second.Length ? first : second;
            for (var offset = common; offset < total; offset += ChunkSize)
            {
                var length = (int)Math.Min(ChunkSize, total - offset);
                if (!Read(larger, offset, a.AsSpan(0, length), a, stderr))
                {
                    return ExitError;
                }

                var nonZero = a.AsSpan(0, length).IndexOfAnyExcept((byte)0);
                if (nonZero >= 0)
                {
                    return Mismatch(stdout, quiet, offset + nonZero);
                }

                progress.Report((offset + length) * 100.0 / total);
            }
        }

        Say(stdout, quiet, "Images are identical.");
        return 0;
    }

    /// <summary>Reports a difference at the 512-byte sector holding byte <paramref name="at"/>.</summary>
    private static int Mismatch(TextWriter stdout, bool quiet, long at)
    {
        Say(stdout, quiet, $"Content mismatch at offset {at - (at % SectorSize)}!");
        return ExitDifferent;
    }

    /// <summary>Reads a chunk; past the end of the shorter image the chunk reads as zeroes.</summary>
    private static bool Read(BlockBackend image, long offset, Span<byte> span, byte[] buffer, TextWriter stderr)
    {
        span.Clear();
        if (offset >= image.Length)
        {
            return true;
        }

        var length = (int)Math.Min(span.Length, image.Length - offset);
        var error = image.Read(offset, buffer.AsMemory(0, length));
        if (error != BlockError.None)
        {
            stderr.WriteLine($"emu img: error while reading offset {offset} of {image.Filename}: {error.Describe()}");
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
