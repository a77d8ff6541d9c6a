namespace Emulator.Block.Backend;

[Flags]
public enum BlockRequestFlags : byte
{
    None = 0,

    /// <summary>Force unit access: the write is on stable storage when it completes (added when the write cache is off).</summary>
    Fua = 1,

    /// <summary>For write-zeroes: the range may be deallocated instead of written.</summary>
    MayUnmap = 2,
}
