using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.File;

/// <summary>Options of a <c>file</c> protocol node.</summary>
public sealed record FileNodeOptions(string Filename) : BlockNodeOptions
{
    /// <inheritdoc/>
    public override string Driver => "file";

    /// <summary>How the host page cache is used (<c>cache=</c>); default writeback.</summary>
    public FileCacheMode Cache { get; init; } = FileCacheMode.Writeback;

    /// <summary>Advisory image locking (<c>file.locking=</c>); default on.</summary>
    public FileLockMode Locking { get; init; } = FileLockMode.On;

    /// <summary>
    /// Never sync to the disk (QEMU's <c>cache.no-flush</c>, the <c>unsafe</c> cache mode): flushes and the sync
    /// after a FUA write succeed without an fdatasync, so data stays in the host page cache until the kernel writes it.
    /// </summary>
    public bool NoFlush { get; init; }

    /// <summary>Pass discards to the host by punching holes (QEMU's discard=unmap); otherwise discards are ignored.</summary>
    public bool DiscardUnmap { get; init; }
}
