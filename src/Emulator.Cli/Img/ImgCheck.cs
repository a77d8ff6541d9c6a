using System.Globalization;
using Emulator.Block.Graph;

namespace Emulator.Cli.Img;

/// <summary>
/// <c>emu img check [-f fmt] [--output=human|json] [-r leaks|all] filename</c>. Exit codes as
/// qemu-img: 0 clean, 1 the check could not complete, 2 corruptions, 3 leaks only, 63 format
/// without checks.
/// </summary>
internal static class ImgCheck
{
    private const int ExitClean = 0;
    private const int ExitCheckError = 1;
    private const int ExitCorrupt = 2;
    private const int ExitLeaks = 3;
    private const int ExitNotSupported = 63;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var parsed = ImgArguments.Parse(args, "-f", "--output", "-r", "-T");
        parsed.AllowOnly("-f", "--output", "-r", "-q", "-T", "-U", "--force-share");
        if (parsed.Positional.Count != 1)
        {
            throw new ImgUsageException("Expecting one image file name");
        }

        var json = ImgOutput.IsJson(parsed.Get("--output"));
        var repair = parsed.Get("-r") switch
        {
            null => ImageRepairMode.None,
            "leaks" => ImageRepairMode.Leaks,
            "all" => ImageRepairMode.All,
            var other => throw new ImgUsageException($"Unknown option value for -r (expecting 'leaks' or 'all'): {other}"),
        };
        var filename = parsed.Positional[0];
        using var session = new ImgSession();
        var node = session.Open(filename, parsed.Get("-f"), readOnly: repair == ImageRepairMode.None);
        if (node.ImageCheck is not { } checker)
        {
            stderr.WriteLine("emu img: This image format does not support checks");
            return ExitNotSupported;
        }

        var result = checker.Check(repair);
        if (json)
        {
            WriteJson(stdout, result, filename, node.DriverName);
        }
        else if (!parsed.Has("-q"))
        {
            WriteText(stdout, stderr, result, repair);
        }

        return result.CheckErrors > 0 ? ExitCheckError
            : result.Corruptions > 0 ? ExitCorrupt
            : result.Leaks > 0 ? ExitLeaks
            : ExitClean;
    }

    private static void WriteText(TextWriter stdout, TextWriter stderr, ImageCheckResult result, ImageRepairMode repair)
    {
        foreach (var message in result.Messages)
        {
            stderr.WriteLine(message);
        }

        if (repair != ImageRepairMode.None && (result.LeaksFixed > 0 || result.CorruptionsFixed > 0))
        {
            stdout.WriteLine("The following inconsistencies were found and repaired:");
            stdout.WriteLine();
            stdout.WriteLine($"    {result.LeaksFixed} leaked clusters");
            stdout.WriteLine($"    {result.CorruptionsFixed} corruptions");
            stdout.WriteLine();
            stdout.WriteLine("Double checking the fixed image now...");
        }

        if (result.Corruptions == 0 && result.Leaks == 0 && result.CheckErrors == 0)
        {
            stdout.WriteLine("No errors were found on the image.");
        }
        else
        {
            if (result.Corruptions > 0)
            {
                stdout.WriteLine();
                stdout.WriteLine($"{result.Corruptions} errors were found on the image.");
                stdout.WriteLine("Data may be corrupted, or further writes to the image may corrupt it.");
            }

            if (result.Leaks > 0)
            {
                stdout.WriteLine();
                stdout.WriteLine($"{result.Leaks} leaked clusters were found on the image.");
                stdout.WriteLine("This means waste of disk space, but no harm to data.");
            }

            if (result.CheckErrors > 0)
            {
                stdout.WriteLine();
                stdout.WriteLine($"{result.CheckErrors} internal errors have occurred during the check.");
            }
        }

        if (result.TotalClusters != 0 && result.AllocatedClusters != 0)
        {
            stdout.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{result.AllocatedClusters}/{result.TotalClusters} = {result.AllocatedClusters * 100.0 / result.TotalClusters:F2}% allocated, {result.FragmentedClusters * 100.0 / result.AllocatedClusters:F2}% fragmented, {result.CompressedClusters * 100.0 / result.AllocatedClusters:F2}% compressed clusters"));
        }

        if (result.ImageEndOffset != 0)
        {
            stdout.WriteLine($"Image end offset: {result.ImageEndOffset}");
        }
    }

    private static void WriteJson(TextWriter stdout, ImageCheckResult result, string filename, string format) =>
        ImgOutput.Json(stdout, writer =>
        {
            writer.WriteStartObject();

            // qemu-img leaves out each count that is zero; its fields come in the order of its QDict.
            writer.WriteNumber("image-end-offset", result.ImageEndOffset);
            if (result.CompressedClusters > 0)
            {
                writer.WriteNumber("compressed-clusters", result.CompressedClusters);
            }

            writer.WriteNumber("total-clusters", result.TotalClusters);
            writer.WriteNumber("check-errors", result.CheckErrors);
            if (result.Leaks > 0)
            {
                writer.WriteNumber("leaks", result.Leaks);
            }

            if (result.Corruptions > 0)
            {
                writer.WriteNumber("corruptions", result.Corruptions);
            }

            if (result.LeaksFixed > 0)
            {
                writer.WriteNumber("leaks-fixed", result.LeaksFixed);
            }

            if (result.CorruptionsFixed > 0)
            {
                writer.WriteNumber("corruptions-fixed", result.CorruptionsFixed);
            }

            if (result.AllocatedClusters > 0)
            {
                writer.WriteNumber("allocated-clusters", result.AllocatedClusters);
            }

            writer.WriteString("filename", filename);
            writer.WriteString("format", format);
            if (result.FragmentedClusters > 0)
            {
                writer.WriteNumber("fragmented-clusters", result.FragmentedClusters);
            }

            writer.WriteEndObject();
        });
}
