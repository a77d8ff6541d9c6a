namespace Emulator.Block.Drivers.File;

/// <summary>Image locking (QEMU's file.locking): a writer takes an exclusive advisory lock, a reader a shared one.</summary>
public enum FileLockMode : byte
{
    On,
    Off,
}
