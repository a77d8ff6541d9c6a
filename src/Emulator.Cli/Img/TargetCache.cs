using Emulator.Block.Drivers.File;

namespace Emulator.Cli.Img;

/// <summary>
/// A qemu-img cache mode (<c>-t</c>; QEMU's <c>bdrv_parse_cache_mode</c>): whether the host file is opened
/// with O_DIRECT, whether the guest-visible write cache is on (off: every write is FUA), and whether a host
/// file is ever synced (<c>unsafe</c>: no, as BDRV_O_NO_FLUSH; flushes still reach the layers above the file,
/// so a qcow2 target writes its caches out and an nbd:// target gets NBD_CMD_FLUSH, as in qemu-img).
/// </summary>
internal readonly record struct TargetCache(FileCacheMode File, bool WriteCache, bool NoFlush)
{
    /// <summary>qemu-img convert's default for its target ("'unsafe' (default for convert)" in its help).</summary>
    public const string ConvertDefault = "unsafe";

    /// <summary>The mode named <paramref name="name"/>; a name qemu-img does not know is refused with its message.</summary>
    public static TargetCache Parse(string name) => name switch
    {
        "unsafe" => new(FileCacheMode.Writeback, WriteCache: true, NoFlush: true),
        "writeback" => new(FileCacheMode.Writeback, WriteCache: true, NoFlush: false),
        "writethrough" => new(FileCacheMode.Writeback, WriteCache: false, NoFlush: false),
        "none" or "off" => new(FileCacheMode.None, WriteCache: true, NoFlush: false),
        "directsync" => new(FileCacheMode.None, WriteCache: false, NoFlush: false),
        _ => throw new ImgUsageException($"Invalid cache option: {name}"),
    };
}
