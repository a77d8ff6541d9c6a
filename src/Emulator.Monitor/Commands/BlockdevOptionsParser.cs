using System.Text.Json;
using System.Text.Json.Nodes;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.Blkdebug;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.Nbd;
using Emulator.Block.Drivers.NullCo;
using Emulator.Block.Drivers.Raw;
using Emulator.Block.Graph;
using Emulator.Monitor.Qmp;

namespace Emulator.Monitor.Commands;

/// <summary>
/// Turns a <c>blockdev-add</c> argument (QAPI BlockdevOptions) into the block layer's typed options,
/// with QEMU's error messages for missing, mistyped, unexpected and unacceptable members. Inline
/// children inherit <c>cache</c>, <c>discard</c> and <c>read-only</c> as in QEMU. Drivers register
/// the members they accept and how to build their options.
/// </summary>
public sealed class BlockdevOptionsParser
{
    private static readonly string[] CommonMembers =
        ["driver", "node-name", "read-only", "auto-read-only", "cache", "discard", "detect-zeroes", "force-share"];

    private readonly Dictionary<string, (string[] Members, Func<JsonObject, Inherited, BlockNodeOptions> Build)> _drivers = new(StringComparer.Ordinal);

    /// <summary>A parser for the drivers <c>blockdev-add</c> takes here: file, raw, null-co, nbd and blkdebug; any other driver name is refused with QEMU's message.</summary>
    public BlockdevOptionsParser()
    {
        Register("file", ["filename", "locking", "aio", "aio-max-batch", "drop-cache", "x-check-cache-dropped", "pr-manager"], (o, i) =>
            new FileNodeOptions(CheckAio(o, RequiredString(o, "filename")))
            {
                Cache = i.Direct ? FileCacheMode.None : FileCacheMode.Writeback,
                Locking = OptionalString(o, "locking") switch
                {
                    null or "auto" or "on" => FileLockMode.On,
                    "off" => FileLockMode.Off,
                    var other => throw new QmpException($"Parameter 'locking' does not accept value '{other}'"),
                },
                DiscardUnmap = i.Unmap,
            });
        Register("raw", ["file", "offset", "size"], (o, i) =>
            new RawNodeOptions(Child(o, "file", i))
            {
                Offset = OptionalInteger(o, "offset") ?? 0,
                Size = OptionalInteger(o, "size"),
            });
        Register("null-co", ["size", "read-zeroes", "latency-ns"], (o, _) =>
            new NullNodeOptions
            {
                Size = OptionalInteger(o, "size") ?? NullNodeOptions.DefaultSize,
                ReadZeroes = OptionalBoolean(o, "read-zeroes") ?? true,
            });
        Register("nbd", ["server", "export", "tls-creds", "tls-hostname", "x-dirty-bitmap", "reconnect-delay", "open-timeout"], (o, _) =>
            new NbdNodeOptions(NbdServer(o))
            {
                Export = OptionalString(o, "export") ?? string.Empty,
                TlsCreds = OptionalString(o, "tls-creds"),
                ReconnectDelaySeconds = (int)Math.Clamp(OptionalInteger(o, "reconnect-delay") ?? 0, 0, int.MaxValue),
                OpenTimeoutSeconds = (int)Math.Clamp(OptionalInteger(o, "open-timeout") ?? 0, 0, int.MaxValue),
            });
        Register("blkdebug", ["image", "config", "inject-error", "set-state", "align", "max-transfer"], (o, i) =>
            new BlkdebugNodeOptions(Child(o, "image", i)) { Rules = InjectErrors(o), ConfigFile = OptionalString(o, "config") });
    }

    /// <summary>Adds (or replaces) a driver's parser.</summary>
    internal void Register(string driver, string[] members, Func<JsonObject, Inherited, BlockNodeOptions> build) =>
        _drivers[driver] = (members, build);

    /// <summary>The node options a <c>blockdev-add</c> argument object describes (top-level node, nothing inherited).</summary>
    /// <exception cref="QmpException">A member is missing, unexpected or of the wrong type, or a value is not accepted; the message is QEMU's.</exception>
    public BlockNodeOptions Parse(JsonObject options) => Parse(options, new Inherited(false, false, false));

    private static BlockChildOptions Child(JsonObject o, string member, Inherited inherited) => o[member] switch
    {
        null => throw QmpArguments.Missing(member),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => BlockChildOptions.Ref(v.GetValue<string>()),
        JsonObject child => BlockChildOptions.Of(inherited.Parser!.Parse(child, inherited)),
        _ => throw new QmpException($"Invalid parameter type for '{member}', expected: BlockdevRef"),
    };

    /// <summary>QAPI SocketAddress: <c>{type: inet, host, port}</c> (port a string, as QEMU types it) or <c>{type: unix, path}</c>.</summary>
    private static NbdServerAddress NbdServer(JsonObject o)
    {
        if (o["server"] is not JsonObject server)
        {
            throw o["server"] is null ? QmpArguments.Missing("server") : new QmpException("Invalid parameter type for 'server', expected: object");
        }

        try
        {
            return RequiredString(server, "type") switch
            {
                "inet" => NbdServerAddress.Inet(RequiredString(server, "host"), OptionalString(server, "port") is { } port
                    ? int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) ? number : throw new QmpException($"Parameter 'port' does not accept value '{port}'")
                    : Block.Nbd.NbdLimits.DefaultPort),
                "unix" => NbdServerAddress.Unix(RequiredString(server, "path")),
                var other => throw new QmpException($"Parameter 'type' does not accept value '{other}'"),
            };
        }
        catch (BlockOperationException e)
        {
            throw new QmpException(e.Message);
        }
    }

    private static IReadOnlyList<BlkdebugRule> InjectErrors(JsonObject o)
    {
        if (o["inject-error"] is null)
        {
            return [];
        }

        if (o["inject-error"] is not JsonArray rules)
        {
            throw new QmpException("Invalid parameter type for 'inject-error', expected: array");
        }

        return [.. rules.Select(r => r as JsonObject ?? throw new QmpException("Invalid parameter type for 'inject-error', expected: object")).Select(r =>
        {
            var sector = OptionalInteger(r, "sector");
            var errno = OptionalInteger(r, "errno") ?? 5;
            return new BlkdebugRule
            {
                Operations = OptionalString(r, "iotype") switch
                {
                    null => EventOperations(RequiredString(r, "event")),
                    "read" => BlkdebugOperations.Read,
                    "write" => BlkdebugOperations.Write,
                    "write-zeroes" => BlkdebugOperations.WriteZeroes,
                    "discard" => BlkdebugOperations.Discard,
                    "flush" => BlkdebugOperations.Flush,
                    var other => throw new QmpException($"Parameter 'iotype' does not accept value '{other}'"),
                },
                Error = errno == 28 ? BlockError.NoSpace : BlockError.Io,
                Once = OptionalBoolean(r, "once") ?? false,
                RangeStart = sector * 512,
                RangeEnd = sector is { } s ? (s * 512) + 512 : null,
            };
        })];
    }

    private static BlkdebugOperations EventOperations(string blkdebugEvent) =>
        BlkdebugEvents.ToOperations(blkdebugEvent) ?? throw new QmpException($"Parameter 'event' does not accept value '{blkdebugEvent}'");

    private static string RequiredString(JsonObject o, string name) => OptionalString(o, name) ?? throw QmpArguments.Missing(name);

    private static string? OptionalString(JsonObject o, string name) => o[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw new QmpException($"Invalid parameter type for '{name}', expected: string"),
    };

    /// <summary>
    /// aio=threads is the file driver's thread pool; native (Linux AIO) and io_uring are refused as a QEMU built
    /// without them refuses them (io_uring is then not a value of the enum at all). Returns <paramref name="filename"/>.
    /// </summary>
    private static string CheckAio(JsonObject o, string filename) => OptionalString(o, "aio") switch
    {
        null or "threads" => filename,
        "native" => throw new QmpException("aio=native was specified, but is not supported in this build."),
        var other => throw new QmpException($"Parameter 'aio' does not accept value '{other}'"),
    };

    private static long? OptionalInteger(JsonObject o, string name) => o[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var n) => n,
        _ => throw new QmpException($"Invalid parameter type for '{name}', expected: integer"),
    };

    private static bool? OptionalBoolean(JsonObject o, string name) => o[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        _ => throw new QmpException($"Invalid parameter type for '{name}', expected: boolean"),
    };

    private BlockNodeOptions Parse(JsonObject o, Inherited inherited)
    {
        var driver = RequiredString(o, "driver");
        if (!_drivers.TryGetValue(driver, out var entry))
        {
            throw new QmpException($"Parameter 'driver' does not accept value '{driver}'");
        }

        foreach (var (member, _) in o)
        {
            if (!CommonMembers.Contains(member) && !entry.Members.Contains(member))
            {
                throw new QmpException($"Parameter '{member}' is unexpected");
            }
        }

        var direct = inherited.Direct;
        if (o["cache"] is { } cache)
        {
            if (cache is not JsonObject cacheObject)
            {
                throw new QmpException("Invalid parameter type for 'cache', expected: object");
            }

            direct = OptionalBoolean(cacheObject, "direct") ?? direct;
        }

        var unmap = OptionalString(o, "discard") switch
        {
            null => inherited.Unmap,
            "unmap" or "on" => true,
            "ignore" or "off" => false,
            var other => throw new QmpException($"Parameter 'discard' does not accept value '{other}'"),
        };
        var detectZeroes = OptionalString(o, "detect-zeroes") switch
        {
            null or "off" => DetectZeroes.Off,
            "on" => DetectZeroes.On,
            "unmap" when unmap => DetectZeroes.Unmap,
            "unmap" => throw new QmpException("setting detect-zeroes to unmap is not allowed without setting discard operation to unmap"),
            var other => throw new QmpException($"Parameter 'detect-zeroes' does not accept value '{other}'"),
        };
        var readOnly = OptionalBoolean(o, "read-only") ?? inherited.ReadOnly;
        var built = entry.Build(o, new Inherited(direct, unmap, readOnly) { Parser = this });
        return built with { NodeName = OptionalString(o, "node-name"), ReadOnly = readOnly, DetectZeroes = detectZeroes };
    }

    /// <summary>Options a child inherits from its parent unless it sets its own.</summary>
    internal sealed record Inherited(bool Direct, bool Unmap, bool ReadOnly)
    {
        internal BlockdevOptionsParser? Parser { get; init; }
    }
}
