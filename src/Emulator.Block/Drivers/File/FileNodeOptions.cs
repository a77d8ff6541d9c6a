using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.File;

/// <summary>Options of a <c>file</c> protocol node.</summary>
public sealed record FileNodeOptions(string Filename) : BlockNodeOptions
{
    public override string Driver => "file";

    public FileCacheMode Cache { get; init; } = FileCacheMode.Writeback;

    public FileLockMode Locking { get; init; } = FileLockMode.On;

    /// <summary>Pass discards to the host by punching holes (QEMU's discard=unmap); otherwise discards are ignored.</summary>
    public bool DiscardUnmap { get; init; }
}
