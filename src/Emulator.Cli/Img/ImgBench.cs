using System.Diagnostics;
using System.Globalization;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;

namespace Emulator.Cli.Img;

/// <summary>
/// <c>emu img bench</c> with qemu-img bench's options and its two summary lines, ending with
/// <c>Run completed in X seconds.</c>, so one harness drives both tools. The requests go through a
/// <see cref="BlockBackend"/> as a device's would (I/O worker threads, completions on the calling
/// thread). -i (aio engine) and -n are accepted and ignored: the block layer has one engine. -q is accepted and
/// changes nothing, as in qemu-img 7.2, whose bench prints its lines with -q too.
/// </summary>
internal static class ImgBench
{
    public static int Run(string[] args, TextWriter stdout)
    {
        var parsed = ImgArguments.Parse(args, "-c", "-d", "-f", "-i", "-o", "-s", "-S", "-t", "--pattern", "--flush-interval");
        parsed.AllowOnly("-c", "-d", "-f", "-i", "-n", "-o", "-q", "-s", "-S", "-t", "-w", "-U", "--pattern", "--flush-interval", "--no-drain", "--force-share");
        if (parsed.Positional.Count != 1)
        {
            throw new ImgUsageException("Expecting one image file name");
        }

        var options = new ImgBenchOptions
        {
            Count = Number(parsed.Get("-c"), 75000, "request count"),
            Depth = Number(parsed.Get("-d"), 64, "queue depth"),
            BufferSize = checked((int)(parsed.Get("-s") is { } s ? ImgSize.Parse(s) : 4096)),
            Step = parsed.Get("-S") is { } step ? ImgSize.Parse(step) : 0,
            Offset = parsed.Get("-o") is { } offset ? ImgSize.Parse(offset) : 0,
            Write = parsed.Has("-w"),
            Pattern = (byte)Number(parsed.Get("--pattern"), 0, "pattern"),
            FlushInterval = Number(parsed.Get("--flush-interval"), 0, "flush interval"),
            Drain = !parsed.Has("--no-drain"),
        };
        if (options.Depth < 1 || options.Count < 1 || options.BufferSize < 1)
        {
            throw new ImgUsageException("Invalid request count, queue depth or buffer size specified");
        }

        if (options.FlushInterval > 0 && options.FlushInterval < options.Depth)
        {
            throw new ImgUsageException("Flush interval can't be smaller than depth");
        }

        var cache = parsed.Get("-t") switch
        {
            null or "writeback" or "unsafe" => FileCacheMode.Writeback,
            "none" or "directsync" => FileCacheMode.None,
            "writethrough" => FileCacheMode.Writeback,
            var other => throw new ImgUsageException($"Invalid cache option: {other}"),
        };

        using var session = new ImgSession();
        var backend = session.Layer.OpenImage(
            new BlockBackendOptions { ReadOnly = !options.Write, WriteCache = parsed.Get("-t") != "writethrough" },
            parsed.Positional[0],
            parsed.Get("-f"),
            cache);
        try
        {
            stdout.WriteLine($"Sending {options.Count} {(options.Write ? "write" : "read")} requests, {options.BufferSize} bytes each, {options.Depth} in parallel (starting at offset {options.Offset}, step size {(options.Step == 0 ? options.BufferSize : options.Step)})");
            if (options.FlushInterval > 0)
            {
                stdout.WriteLine($"Sending flush every {options.FlushInterval} requests");
            }

            var runner = new ImgBenchRunner(session.Layer, backend, options);
            var watch = Stopwatch.StartNew();
            var error = runner.Run();
            watch.Stop();
            if (error != BlockError.None)
            {
                runner.Finish();
                throw new ImgFailedException($"Failed request: {error.Describe()}");
            }

            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Run completed in {watch.Elapsed.TotalSeconds:0.000} seconds."));

            // After the timed run, as qemu-img does when it closes the image: a flush the last completions asked
            // for is waited for, and a write run's data is flushed.
            runner.Finish();
            if (options.Write && backend.Flush() is var flushed && flushed != BlockError.None)
            {
                throw new ImgFailedException($"Failed to flush the image: {flushed.Describe()}");
            }

            return 0;
        }
        finally
        {
            backend.Unref();
        }
    }

    private static int Number(string? text, int fallback, string what) =>
        text is null ? fallback
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value
        : throw new ImgUsageException($"Invalid {what} specified: '{text}'");
}
