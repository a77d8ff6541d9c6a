namespace Emulator.Block.Backend;

public enum BlockRequestKind : byte
{
    Read,
    Write,
    Flush,
    Discard,
    WriteZeroes,
}
