using Emulator.Block.Backend;

namespace Emulator.Cli.Img;

/// <summary>
/// <c>emu img</c>: create, info, check, convert, resize, map, compare and bench, with qemu-img's
/// options, output and exit codes, so scripts and test harnesses can drive either tool.
/// Errors are one line on stderr (<c>emu img: …</c>) and a non-zero exit code.
/// </summary>
internal static class ImgCommand
{
    public const string Usage = """
        usage: emu img <command> [options]
          create [-f fmt] [-o options] [-b backing_file [-F backing_fmt]] filename [size]
          info [-f fmt] [--output=human|json] [--backing-chain] filename
          check [-f fmt] [--output=human|json] [-r leaks|all] filename
          convert [-f fmt] [-O output_fmt] [-o options] [-B backing_file [-F backing_fmt]] [-m num_coroutines] [-n] [-c] [-p] [-t cache] filename output_filename
          resize [-f fmt] [--shrink] filename [+|-]size
          map [-f fmt | --image-opts] [--output=human|json] filename
          compare [-f fmt] [-F fmt] [-s] filename1 filename2
          bench [-c count] [-d depth] [-f fmt] [--flush-interval=n] [-i aio] [-n] [--no-drain] [-o offset] [--pattern=n] [-q] [-s buffer_size] [-S step_size] [-t cache] [-w] filename
          snapshot [-f fmt] [-q] (-l | -c name | -a id_or_name | -d id_or_name) filename
        """;

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Count == 0 || args[0] is "-h" or "--help")
        {
            stdout.WriteLine(Usage);
            return args.Count == 0 ? 1 : 0;
        }

        var rest = args.Skip(1).ToArray();
        try
        {
            return args[0] switch
            {
                "create" => ImgCreate.Run(rest, stdout),
                "info" => ImgInfo.Run(rest, stdout),
                "check" => ImgCheck.Run(rest, stdout, stderr),
                "convert" => ImgConvert.Run(rest, stdout, stderr),
                "resize" => ImgResize.Run(rest, stdout),
                "map" => ImgMap.Run(rest, stdout),
                "compare" => ImgCompare.Run(rest, stdout, stderr),
                "bench" => ImgBench.Run(rest, stdout),
                "snapshot" => ImgSnapshot.Run(rest, stdout),
                _ => throw new ImgUsageException($"Command not found: {args[0]}"),
            };
        }
        catch (ImgUsageException e)
        {
            stderr.WriteLine($"emu img: {e.Message}");
            return 1;
        }
        catch (BlockOperationException e)
        {
            stderr.WriteLine($"emu img: {e.Message}");
            return 1;
        }
        catch (ImgFailedException e)
        {
            stderr.WriteLine($"emu img: {e.Message}");
            return e.ExitCode;
        }
    }
}
