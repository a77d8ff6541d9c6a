namespace Emulator.Block.Backend;

/// <summary>The operation of a <see cref="BlockRequest"/>.</summary>
public enum BlockRequestKind : byte
{
    /// <summary>Read bytes into the buffer.</summary>
    Read,
    /// <summary>Write the buffer's bytes.</summary>
    Write,
    /// <summary>Flush caches to stable storage.</summary>
    Flush,
    /// <summary>Deallocate a range (a hint; its contents become unspecified).</summary>
    Discard,
    /// <summary>Make a range read as zeroes without a data buffer.</summary>
    WriteZeroes,
}
