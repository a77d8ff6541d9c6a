namespace Emulator.Cli.Img;

/// <summary>
/// The command line of one <c>emu img</c> subcommand, parsed the way qemu-img parses it: short
/// options (some taking a value, either attached or as the next argument), <c>--long</c> and
/// <c>--long=value</c> options, and positional arguments in order.
/// </summary>
internal sealed class ImgArguments
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);

    private ImgArguments()
    {
    }

    public List<string> Positional { get; } = [];

    /// <summary>Parses <paramref name="args"/>; <paramref name="valued"/> lists the options that take a value ("-f", "--output" …).</summary>
    public static ImgArguments Parse(IReadOnlyList<string> args, params string[] valued)
    {
        var parsed = new ImgArguments();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Length > 2)
            {
                var eq = arg.IndexOf('=', StringComparison.Ordinal);
                var name = eq < 0 ? arg : arg[..eq];
                if (eq >= 0)
                {
                    parsed._options[name] = arg[(eq + 1)..];
                }
                else if (valued.Contains(name))
                {
                    parsed._options[name] = i + 1 < args.Count ? args[++i] : throw new ImgUsageException($"option '{name}' needs a value");
                }
                else
                {
                    parsed._options[name] = null;
                }
            }
            else if (arg.StartsWith('-') && arg.Length > 1 && !IsNumber(arg))
            {
                var name = arg[..2];
                if (valued.Contains(name))
                {
                    parsed._options[name] = arg.Length > 2 ? arg[2..] : i + 1 < args.Count ? args[++i] : throw new ImgUsageException($"option requires an argument -- '{name[1]}'");
                }
                else
                {
                    // Clustered flags: -pc is -p -c.
                    foreach (var flag in arg[1..])
                    {
                        parsed._options["-" + flag] = null;
                    }
                }
            }
            else
            {
                parsed.Positional.Add(arg);
            }
        }

        return parsed;
    }

    public bool Has(string name) => _options.ContainsKey(name);

    public string? Get(string name) => _options.GetValueOrDefault(name);

    /// <summary>The names given, for refusing unknown ones.</summary>
    public IEnumerable<string> Names => _options.Keys;

    public void AllowOnly(params string[] names)
    {
        foreach (var name in _options.Keys)
        {
            if (!names.Contains(name))
            {
                throw new ImgUsageException($"unrecognized option '{name}'");
            }
        }
    }

    /// <summary>qemu-img's -o list: comma-separated key=value pairs (",," escapes a comma).</summary>
    public static Dictionary<string, string> ParseOptionList(string? list)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(list))
        {
            return result;
        }

        foreach (var item in list.Replace(",,", "\u0001", StringComparison.Ordinal).Split(','))
        {
            var pair = item.Replace('\u0001', ',');
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ImgUsageException($"Invalid option '{pair}' (expected key=value)");
            }

            result[pair[..eq]] = pair[(eq + 1)..];
        }

        return result;
    }

    private static bool IsNumber(string arg) => arg.Length > 1 && char.IsAsciiDigit(arg[1]);
}
