using Emulator.Block.Backend;
using Emulator.Block.Drivers.Blkdebug;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.Nbd;
using Emulator.Block.Drivers.NullCo;
using Emulator.Block.Drivers.Qcow2;
using Emulator.Block.Drivers.Raw;
using Emulator.Block.Graph;

namespace Emulator.Hosting.QemuSystem;

/// <summary>
/// One <c>-drive</c>: the backend options (id, rerror, werror, cache, readonly) and the node tree
/// from the filename, which may be a file, <c>null-co://</c>, or <c>blkdebug:CONFIG:IMAGE</c>, with
/// <c>file.*</c> options for the protocol node.
/// </summary>
internal sealed class QemuDrive
{
    private static readonly string[] Known =
        ["file", "if", "media", "format", "id", "index", "bus", "unit", "cache", "snapshot", "readonly", "rerror", "werror", "auto-read-only", "aio", "discard", "detect-zeroes", "serial", "driver", "size", "read-zeroes"];

    private QemuDrive(List<KeyValuePair<string, string>> items)
    {
        Items = items;
    }

    public List<KeyValuePair<string, string>> Items { get; }

    public string Interface => Get("if") ?? (Get("media") == "cdrom" ? "ide" : "ide");

    public string? Id => Get("id");

    public static QemuDrive Parse(List<KeyValuePair<string, string>> items)
    {
        foreach (var (key, _) in items)
        {
            if (!Known.Contains(key) && !key.StartsWith("file.", StringComparison.Ordinal))
            {
                throw new QemuOptionException($"-drive: Invalid parameter '{key}'");
            }
        }

        var drive = new QemuDrive(items);
        var label = $"-drive {string.Join(',', items.Select(kv => $"{kv.Key}={kv.Value}"))}";
        switch (drive.Get("aio"))
        {
            case null or "threads":
                break;
            case "native":
                // Linux AIO: this emulator's file driver has only its thread pool, as a QEMU built without libaio.
                throw new QemuOptionException($"{label}: aio=native was specified, but is not supported in this build.");
            default:
                // io_uring included: QEMU built without liburing does not know the value either.
                throw new QemuOptionException($"{label}: invalid aio option");
        }

        if (drive.Get("detect-zeroes") is { } zeroes && zeroes is not ("off" or "on" or "unmap"))
        {
            throw new QemuOptionException($"{label}: invalid parameter value: {zeroes}");
        }

        if (drive.Get("serial") is not null)
        {
            // QEMU 7.2 dropped -drive serial= (ide-hd,serial= replaces it): the option falls through to the format driver, which refuses it.
            throw new QemuOptionException($"-drive {string.Join(',', items.Select(kv => $"{kv.Key}={kv.Value}"))}: Block format '{drive.Get("format") ?? "raw"}' does not support the option 'serial'");
        }

        return drive;
    }

    public string? Get(string key) => Items.LastOrDefault(kv => kv.Key == key).Value;

    /// <summary>A numeric key (index, bus, unit), or null when absent; anything else is refused as QEMU refuses it.</summary>
    public int? Number(string label, string key) => Get(key) switch
    {
        null => null,
        var text when int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) => value,
        _ => throw new QemuOptionException($"{label}: Parameter '{key}' expects a number"),
    };

    public BlockBackendOptions BackendOptions(string name)
    {
        var cache = Get("cache") ?? "writeback";
        return new BlockBackendOptions
        {
            Name = name,
            ReadErrorPolicy = Policy("rerror", BlockErrorPolicy.Report),
            WriteErrorPolicy = Policy("werror", BlockErrorPolicy.Enospc),
            WriteCache = cache is not ("writethrough" or "directsync"),
            ReadOnly = IsReadOnly,
            DetectZeroes = Get("detect-zeroes") switch
            {
                "on" => DetectZeroes.On,

                // QEMU adds BDRV_REQ_MAY_UNMAP only on a node opened with discard=unmap; otherwise unmap writes zeroes as on does.
                "unmap" => DiscardUnmap ? DetectZeroes.Unmap : DetectZeroes.On,
                _ => DetectZeroes.Off,
            },
        };
    }

    /// <summary>discard=unmap (or on): the guest's discards, and detect-zeroes=unmap's zero writes, may free space.</summary>
    public bool DiscardUnmap => Get("discard") is "unmap" or "on";

    /// <summary>readonly=on, or media=cdrom, which QEMU's drive_new makes read-only whatever readonly says.</summary>
    public bool IsReadOnly => (Get("readonly") is { } ro && KeyValueList.IsOn("-drive", "readonly", ro)) || Get("media") == "cdrom";

    public bool Direct => Get("cache") is "none" or "directsync";

    /// <summary>The root node's options, or null for a plain file whose format is probed or is not raw (<paramref name="plainFile"/>).</summary>
    public BlockNodeOptions? RootOptions(out string? plainFile)
    {
        plainFile = null;
        if (Get("driver") is { } driver)
        {
            // -drive driver=D: the root node is D itself, no format node over it, with D's options at the top level.
            return driver == "null-co"
                ? NullNode(string.Empty)
                : throw new QemuOptionException($"-drive: driver={driver}: only null-co is supported as a -drive driver here (use file= and format=)");
        }

        if (Get("size") is not null || Get("read-zeroes") is not null)
        {
            throw new QemuOptionException($"-drive: Invalid parameter '{(Get("size") is null ? "read-zeroes" : "size")}' (it belongs to driver=null-co)");
        }

        var file = Get("file");
        if (file is null && Get("file.driver") is not ("nbd" or "null-co"))
        {
            return null;
        }

        file ??= string.Empty;

        BlockNodeOptions protocol;
        if (file == "null-co://" || Get("file.driver") == "null-co")
        {
            protocol = NullNode("file.");
        }
        else if (Get("file.driver") == "nbd")
        {
            protocol = NbdNode();
        }
        else if (file.StartsWith("blkdebug:", StringComparison.Ordinal))
        {
            var rest = file["blkdebug:".Length..];
            var colon = rest.IndexOf(':');
            if (colon < 0)
            {
                throw new QemuOptionException($"-drive: blkdebug filename must be blkdebug:CONFIG:IMAGE, not '{file}'");
            }

            var config = rest[..colon];
            protocol = new BlkdebugNodeOptions(FileNode(rest[(colon + 1)..]))
            {
                ReadOnly = IsReadOnly,
                ConfigFile = config.Length == 0 ? null : config,
            };
        }
        else if (Get("format") is not "raw")
        {
            // A plain file whose format is probed, or named (qcow2 …): the block layer opens file → format.
            plainFile = file;
            return null;
        }
        else
        {
            protocol = FileNode(file);
        }

        // Every node of a read-only drive is opened read-only, so no layer below the backend can write either.
        return Get("format") switch
        {
            null or "raw" => new RawNodeOptions(protocol) { ReadOnly = IsReadOnly },
            // A qcow2 image over a protocol named by options (file.driver=nbd,… or blkdebug:…): format node over it.
            "qcow2" => new Qcow2NodeOptions(protocol) { ReadOnly = IsReadOnly },
            var other => throw new QemuOptionException($"-drive: Unknown driver '{other}'"),
        };
    }

    /// <summary>A null-co node from the keys under <paramref name="prefix"/> (size with QEMU's suffixes, read-zeroes).</summary>
    private NullNodeOptions NullNode(string prefix)
    {
        long size;
        try
        {
            size = Get($"{prefix}size") is { } text ? ImageOptionValues.ParseSize(text) : NullNodeOptions.DefaultSize;
        }
        catch (Block.Backend.BlockOperationException)
        {
            throw new QemuOptionException($"-drive: Parameter '{prefix}size' expects a non-negative number below 2^64");
        }

        return new NullNodeOptions
        {
            ReadOnly = IsReadOnly,
            ReadZeroes = Get($"{prefix}read-zeroes") is not { } rz || KeyValueList.IsOn("-drive", $"{prefix}read-zeroes", rz),
            Size = size,
        };
    }

    /// <summary>-drive file.driver=nbd,file.server.type=inet|unix,file.server.host=,file.server.port=,file.server.path=,file.export=.</summary>
    private NbdNodeOptions NbdNode()
    {
        var server = Get("file.server.type") switch
        {
            "inet" => NbdServerAddress.Inet(
                Get("file.server.host") ?? throw new QemuOptionException("-drive: Parameter 'server.host' is missing"),
                Get("file.server.port") is { } port && int.TryParse(port, out var number) ? number : Block.Nbd.NbdLimits.DefaultPort),
            "unix" => NbdServerAddress.Unix(Get("file.server.path") ?? throw new QemuOptionException("-drive: Parameter 'server.path' is missing")),
            var other => throw new QemuOptionException($"-drive: Parameter 'server.type' does not accept value '{other}'"),
        };
        return new NbdNodeOptions(server)
        {
            ReadOnly = IsReadOnly,
            Export = Get("file.export") ?? string.Empty,
            TlsCreds = Get("file.tls-creds"),
            ReconnectDelaySeconds = Get("file.reconnect-delay") is { } delay && int.TryParse(delay, out var seconds) ? seconds : 0,
        };
    }

    private FileNodeOptions FileNode(string path) => new(path)
    {
        ReadOnly = IsReadOnly,
        Cache = Direct ? FileCacheMode.None : FileCacheMode.Writeback,
        Locking = Get("file.locking") == "off" ? FileLockMode.Off : FileLockMode.On,
        DiscardUnmap = DiscardUnmap,
    };

    private BlockErrorPolicy Policy(string key, BlockErrorPolicy fallback) => Get(key) switch
    {
        null or "auto" => fallback,
        "report" => BlockErrorPolicy.Report,
        "ignore" => BlockErrorPolicy.Ignore,
        "enospc" => BlockErrorPolicy.Enospc,
        "stop" => BlockErrorPolicy.Stop,
        var other => throw new QemuOptionException($"-drive: '{other}' invalid {(key == "rerror" ? "read" : "write")} error action"),
    };
}
