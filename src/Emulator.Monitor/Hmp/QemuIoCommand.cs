using System.Diagnostics;
using System.Globalization;
using Emulator.Block.Backend;

namespace Emulator.Monitor.Hmp;

/// <summary>
/// HMP's <c>qemu-io DRIVE "CMD"</c> for the commands device tests use: read/write with -P pattern
/// (verified on read) and -z, aio_read/aio_write (completed later, on the machine thread), flush,
/// and blkdebug's break/resume/wait_break. Output goes to <see cref="HmpOutput"/> in qemu-io's words.
/// Offsets and lengths take k/M/G suffixes.
/// </summary>
internal sealed class QemuIoCommand(BlockBackend backend, TextWriter output) : IBlockCompletionHandler
{
    private const int MaxTransfer = 32 << 20;

    public void Run(string command)
    {
        var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            return;
        }

        switch (words[0])
        {
            case "read":
            case "write":
            case "aio_read":
            case "aio_write":
                Transfer(words);
                break;
            case "flush":
                Report("flush", backend.Flush());
                break;
            case "break" when words.Length == 3:
                if (!backend.DebugBreak(words[1], words[2]))
                {
                    output.WriteLine($"break: no blkdebug node or unknown event '{words[1]}'");
                }

                break;
            case "resume" when words.Length == 2:
                if (!backend.DebugResume(words[1]) && !ResumeInFlight(words[1]))
                {
                    output.WriteLine("Could not resume request: No such file or directory");
                }

                break;
            case "wait_break" when words.Length == 2:
                WaitBreak(words[1]);
                break;
            default:
                output.WriteLine($"command \"{words[0]}\" not found");
                break;
        }

        output.Flush();
    }

    public void OnBlockRequestCompleted(BlockRequest request)
    {
        var verb = request.Kind == BlockRequestKind.Read ? "read" : "wrote";
        if (request.Error != BlockError.None)
        {
            output.WriteLine($"aio_{(request.Kind == BlockRequestKind.Read ? "read" : "write")} failed: {request.Error.Describe()}");
        }
        else
        {
            output.WriteLine($"{verb} {request.Length}/{request.Length} bytes at offset {request.Offset}");
        }

        output.Flush();
    }

    private static bool TryParseSize(string text, out long value)
    {
        var multiplier = 1L;
        var digits = text;
        switch (text[^1])
        {
            case 'k' or 'K':
                multiplier = 1 << 10;
                digits = text[..^1];
                break;
            case 'm' or 'M':
                multiplier = 1 << 20;
                digits = text[..^1];
                break;
            case 'g' or 'G':
                multiplier = 1 << 30;
                digits = text[..^1];
                break;
        }

        var ok = digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? long.TryParse(digits.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)
            : long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        if (!ok || value > long.MaxValue / multiplier)
        {
            return false;
        }

        value *= multiplier;
        return true;
    }

    private void Transfer(string[] words)
    {
        var verb = words[0];
        byte? pattern = null;
        var zeroes = false;
        var positional = new List<string>();
        for (var i = 1; i < words.Length; i++)
        {
            if (words[i] == "-P" && i + 1 < words.Length && TryParseSize(words[i + 1], out var p))
            {
                pattern = (byte)p;
                i++;
            }
            else if (words[i] == "-z")
            {
                zeroes = true;
            }
            else if (words[i] != "-q")
            {
                positional.Add(words[i]);
            }
        }

        if (positional.Count != 2 || !TryParseSize(positional[0], out var offset) || !TryParseSize(positional[1], out var length))
        {
            output.WriteLine($"{verb}: offset and length expected");
            return;
        }

        if (length > MaxTransfer)
        {
            output.WriteLine($"{verb}: length {length} is larger than {MaxTransfer}");
            return;
        }

        var isRead = verb.EndsWith("read", StringComparison.Ordinal);
        var buffer = new byte[length];
        if (!isRead && pattern is { } fill)
        {
            Array.Fill(buffer, fill);
        }

        if (verb.StartsWith("aio_", StringComparison.Ordinal))
        {
            var request = new BlockRequest(this);
            if (isRead)
            {
                request.PrepareRead(offset, buffer);
            }
            else
            {
                request.PrepareWrite(offset, buffer);
            }

            backend.Submit(request);
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var error = isRead ? backend.Read(offset, buffer)
            : zeroes ? backend.WriteZeroes(offset, length)
            : backend.Write(offset, buffer);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (error != BlockError.None)
        {
            output.WriteLine($"{(isRead ? "read" : "write")} failed: {error.Describe()}");
            return;
        }

        if (isRead && pattern is { } expected && Array.FindIndex(buffer, b => b != expected) is var mismatch and >= 0)
        {
            output.WriteLine($"Pattern verification failed at offset {offset + mismatch}, {length} bytes");
        }

        output.WriteLine($"{(isRead ? "read" : "wrote")} {length}/{length} bytes at offset {offset}");
        var rate = seconds > 0 ? length / seconds / (1 << 20) : 0;
        var ops = seconds > 0 ? 1 / seconds : 0;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Human(length)}, 1 ops; {seconds:00.00} sec ({rate:0.###} MiB/sec and {ops:0.####} ops/sec)"));
    }

    private static string Human(long bytes) => bytes switch
    {
        >= 1 << 30 when bytes % (1 << 30) == 0 => $"{bytes >> 30} GiB",
        >= 1 << 20 when bytes % (1 << 20) == 0 => $"{bytes >> 20} MiB",
        >= 1 << 10 when bytes % (1 << 10) == 0 => $"{bytes >> 10} KiB",
        _ => $"{bytes} bytes",
    };

    private void Report(string what, BlockError error)
    {
        if (error != BlockError.None)
        {
            output.WriteLine($"{what} failed: {error.Describe()}");
        }
    }

    /// <summary>
    /// In QEMU a request a guest submitted has already run up to its blkdebug breakpoint by the time a
    /// monitor command runs (both run in the main loop); here it travels to the block layer's thread,
    /// so a resume can arrive first. While requests are still in flight, wait (bounded) for one to stop
    /// at <paramref name="tag"/> or for all of them to finish, then resume; false when none stopped there.
    /// </summary>
    private bool ResumeInFlight(string tag)
    {
        var deadline = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
        while (backend.InFlight > 0 && !backend.DebugIsSuspended(tag) && Stopwatch.GetTimestamp() < deadline)
        {
            Thread.Sleep(1);
        }

        return backend.DebugResume(tag);
    }

    /// <summary>Waits (bounded) until a request is suspended at the breakpoint; completions keep flowing meanwhile.</summary>
    private void WaitBreak(string tag)
    {
        var deadline = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
        while (!backend.DebugIsSuspended(tag))
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                output.WriteLine($"wait_break: nothing suspended at '{tag}'");
                return;
            }

            Thread.Sleep(1);
        }
    }
}
