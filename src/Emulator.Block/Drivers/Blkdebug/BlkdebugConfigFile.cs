using Emulator.Block.Backend;

namespace Emulator.Block.Drivers.Blkdebug;

/// <summary>
/// blkdebug's rule file (the <c>config</c> option, or CONFIG in <c>blkdebug:CONFIG:IMAGE</c>):
/// <c>[inject-error]</c> sections of <c>key = "value"</c> lines (event, errno, sector, once). Read when
/// the node opens, as QEMU's blkdebug_open does, so opening a FIFO waits for its writer there too.
/// </summary>
internal static class BlkdebugConfigFile
{
    private const int NoSpaceErrno = 28;

    public static IReadOnlyList<BlkdebugRule> Read(string path)
    {
        string[] lines;
        try
        {
            lines = System.IO.File.ReadAllLines(path);
        }
        catch (IOException e)
        {
            throw new BlockOperationException($"Could not read blkdebug config file '{path}': {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new BlockOperationException($"Could not read blkdebug config file '{path}': {e.Message}");
        }

        var rules = new List<BlkdebugRule>();
        Dictionary<string, string>? section = null;
        foreach (var raw in lines.Append("[end]"))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (line.StartsWith('['))
            {
                if (section is not null)
                {
                    rules.Add(Rule(path, section));
                }

                section = line == "[inject-error]" ? new Dictionary<string, string>(StringComparer.Ordinal) : null;
                continue;
            }

            var eq = line.IndexOf('=');
            if (section is not null && eq > 0)
            {
                section[line[..eq].Trim()] = line[(eq + 1)..].Trim().Trim('"');
            }
        }

        return rules;
    }

    private static BlkdebugRule Rule(string path, Dictionary<string, string> section)
    {
        var eventName = section.GetValueOrDefault("event") ?? throw new BlockOperationException($"{path}: inject-error needs an event");
        var operations = BlkdebugEvents.ToOperations(eventName) ?? throw new BlockOperationException($"{path}: unknown blkdebug event '{eventName}'");
        var sector = section.TryGetValue("sector", out var s) && long.TryParse(s, out var n) ? n : (long?)null;
        return new BlkdebugRule
        {
            Operations = operations,
            Error = section.TryGetValue("errno", out var errno) && errno == NoSpaceErrno.ToString(System.Globalization.CultureInfo.InvariantCulture) ? BlockError.NoSpace : BlockError.Io,
            Once = section.TryGetValue("once", out var once) && once is "on" or "true",
            RangeStart = sector * 512,
            RangeEnd = sector is { } first ? (first * 512) + 512 : null,
        };
    }
}
