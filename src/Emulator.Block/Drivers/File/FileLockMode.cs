namespace Emulator.Block.Drivers.File;

/// <summary>Image locking (QEMU's file.locking): a writer takes an exclusive advisory lock, a reader a shared one.</summary>
public enum FileLockMode : byte
{
    /// <summary>Take the lock (QEMU's default); opening an image another process holds for writing fails.</summary>
    On,
    /// <summary>Take no lock.</summary>
    Off,
}
