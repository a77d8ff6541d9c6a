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

    /// <summary>Pass discards to the host by punching holes (QEMU's discard=unmap); otherwise discards are ignored.</summary>
    public bool DiscardUnmap { get; init; }
}
