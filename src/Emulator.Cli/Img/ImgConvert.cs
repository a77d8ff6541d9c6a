using Emulator.Block.Backend;
using Emulator.Block.Graph;

namespace Emulator.Cli.Img;

/// <summary>
/// <c>emu img convert [-f fmt] [-O raw|qcow2] [-o options] [-B backing [-F backing_fmt]] [-n] [-c] [-p] [-q] source target</c>:
/// copies the guest view of the source (its whole backing chain) into a new image. Runs of zeroes
/// are skipped, so the target stays sparse (the new target reads zeroes there already); -c stores
/// qcow2 clusters compressed; -p prints qemu-img's progress line. With -B the new qcow2 target has
/// a backing file and with -n the existing target is written as it is (not created): in both cases
/// the target already reads something, so each unit (a target cluster) is compared with what the
/// target reads and only units that differ are written, zero units as write-zeroes (a zero cluster).
/// qemu-img -B instead copies what the source's top layer allocates; the guest view is the same
/// and ours allocates no more. -t is the target's cache mode with qemu-img's meanings and default,
/// <c>unsafe</c>: a host file under the target is never synced (a copy that must reach the disk asks
/// for <c>-t writeback</c>; <c>none</c> is O_DIRECT, <c>writethrough</c>/<c>directsync</c> make every write FUA).
/// </summary>
internal static class ImgConvert
{
    private const int ChunkSize = 2 << 20;

    /// <summary>The unit of zero detection for targets without clusters (a host page).</summary>
    private const int DefaultGranularity = 4096;

    /// <summary>Chunk reads in flight (qemu-img convert's <c>-m</c>: coroutines, 8 by default, at most 16).</summary>
    private const int DefaultDepth = 8;
    private const int MaxDepth = 16;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var parsed = ImgArguments.Parse(args, "-f", "-O", "-o", "-t", "-T", "-m", "-B", "-F");
        parsed.AllowOnly("-f", "-O", "-o", "-c", "-p", "-q", "-t", "-T", "-m", "-W", "-U", "-n", "-B", "-F");
        if (parsed.Positional.Count != 2)
        {
            throw new ImgUsageException("Expecting one source and one target file name");
        }

        var format = parsed.Get("-O") ?? "raw";
        var compress = parsed.Has("-c");
        var depth = DefaultDepth;
        if (parsed.Get("-m") is { } coroutines && (!int.TryParse(coroutines, out depth) || depth < 1 || depth > MaxDepth))
        {
            throw new ImgUsageException($"Invalid number of coroutines. Allowed number of coroutines is between 1 and {MaxDepth}");
        }

        if (compress && format != "qcow2")
        {
            throw new ImgUsageException("Compression not supported for this file format");
        }

        var cache = TargetCache.Parse(parsed.Get("-t") ?? TargetCache.ConvertDefault);
        using var session = new ImgSession();
        var source = session.Open(parsed.Positional[0], parsed.Get("-f"), readOnly: true);
        var size = source.Length;
        var targetPath = parsed.Positional[1];
        var options = ImgArguments.ParseOptionList(parsed.Get("-o"));
        var backing = parsed.Get("-B") ?? options.GetValueOrDefault("backing_file");
        var existing = parsed.Has("-n");
        if (backing is not null && format != "qcow2")
        {
            throw new ImgUsageException($"Backing file not supported for file format '{format}'");
        }

        if (backing is not null && existing)
        {
            throw new ImgUsageException("Specifying backing image makes no sense when not creating an image");
        }

        if (!existing)
        {
            ImgCreate.Create(session, format, new ImageCreateRequest(targetPath, size, options)
            {
                BackingFile = backing,
                BackingFormat = parsed.Get("-F"),
            });
        }

        var target = session.Open(targetPath, format, readOnly: false, cache.File, noFlush: cache.NoFlush);
        if (target.Length < size)
        {
            throw new ImgFailedException($"Target '{targetPath}' ({target.Length} bytes) is smaller than the source ({size} bytes)");
        }

        using (var progress = new ImgProgress(stdout, stderr, parsed.Has("-p") && !parsed.Has("-q")))
        {
            var granularity = target.ImageInfo?.Info.ClusterSize ?? DefaultGranularity;
            Copy(session.Layer, session.Io(source), session.Io(target, cache.WriteCache), new CopyOptions(granularity, depth, compress, CompareTarget: existing || backing is not null), progress);
        }

        // With the default unsafe mode this syncs no host file (qemu-img's BDRV_O_NO_FLUSH): the fdatasync of a
        // 512 MiB target took 0.9-2 s on the test host, more than the copy itself.
        var flushed = session.Io(target).Flush();
        if (flushed != BlockError.None)
        {
            throw new ImgFailedException($"error while flushing '{targetPath}': {flushed.Describe()}");
        }

        return 0;
    }

    /// <summary>Copies the source's guest view, reading ahead (<see cref="ImgConvertReader"/>); with <see cref="CopyOptions.CompareTarget"/>, only units that differ from what the target reads.</summary>
    private static void Copy(BlockLayer layer, BlockBackend source, BlockBackend target, CopyOptions options, ImgProgress progress)
    {
        var size = source.Length;
        var granularity = options.Granularity;
        var chunk = Math.Max(ChunkSize, granularity);
        var current = options.CompareTarget ? new byte[chunk] : null;
        var flags = options.Compress ? BlockRequestFlags.WriteCompressed : BlockRequestFlags.None;
        using var reader = new ImgConvertReader(layer, source, chunk, options.Depth);
        progress.Report(0);
        for (var done = 0L; done < size; reader.Advance())
        {
            var error = reader.Next(out var offset, out var data);
            if (error != BlockError.None)
            {
                throw new ImgFailedException($"error while reading at byte {offset}: {error.Describe()}");
            }

            var length = data.Length;
            var buffer = data.Span;
            done = offset + length;
            if (current is not null)
            {
                CopyDifferences(target, offset, data, current.AsMemory(0, length), granularity, flags);
                progress.Report(done * 100.0 / size);
                continue;
            }

            // Write only the non-zero runs, in units of the target's allocation granularity.
            for (var run = 0; run < length;)
            {
                var unit = Math.Min(granularity, length - run);
                if (!buffer.Slice(run, unit).ContainsAnyExcept((byte)0))
                {
                    run += unit;
                    continue;
                }

                var end = run + unit;
                while (end < length && buffer.Slice(end, Math.Min(granularity, length - end)).ContainsAnyExcept((byte)0))
                {
                    end += Math.Min(granularity, length - end);
                }

                error = target.Write(offset + run, data[run..end], flags);
                if (error != BlockError.None)
                {
                    throw new ImgFailedException($"error while writing at byte {offset + run}: {error.Describe()}");
                }

                run = end;
            }

            progress.Report(done * 100.0 / size);
        }

        progress.Report(100);
        progress.End();
    }

    /// <summary>How <see cref="Copy"/> works: the target's unit of zero detection, chunk reads in flight, compression, compare with the target.</summary>
    private readonly record struct CopyOptions(int Granularity, int Depth, bool Compress, bool CompareTarget);

    /// <summary>Writes each unit of <paramref name="data"/> that differs from what the target reads now (<paramref name="current"/>); zero units as write-zeroes.</summary>
    private static void CopyDifferences(BlockBackend target, long offset, Memory<byte> data, Memory<byte> current, int granularity, BlockRequestFlags flags)
    {
        var error = target.Read(offset, current);
        if (error != BlockError.None)
        {
            throw new ImgFailedException($"error while reading the target at byte {offset}: {error.Describe()}");
        }

        for (var run = 0; run < data.Length; run += granularity)
        {
            var unit = Math.Min(granularity, data.Length - run);
            var wanted = data.Slice(run, unit);
            if (wanted.Span.SequenceEqual(current.Span.Slice(run, unit)))
            {
                continue;
            }

            error = wanted.Span.ContainsAnyExcept((byte)0)
                ? target.Write(offset + run, wanted, flags)
                : target.WriteZeroes(offset + run, unit, BlockRequestFlags.MayUnmap);
            if (error != BlockError.None)
            {
                throw new ImgFailedException($"error while writing at byte {offset + run}: {error.Describe()}");
            }
        }
    }
}
