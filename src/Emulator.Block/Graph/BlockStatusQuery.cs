using Emulator.Block.Backend;

namespace Emulator.Block.Graph;

/// <summary>
/// Block status through a backing chain: a range a node leaves unallocated is asked of its backing
/// node (at the same guest offset), down to the node that allocates it or the end of the chain,
/// where it reads as zeroes. What <c>img map</c> prints and <c>img convert</c> could skip.
/// </summary>
public static class BlockStatusQuery
{
    /// <summary>The status of the start of [<paramref name="offset"/>, +<paramref name="length"/>) as <paramref name="top"/> reads it, and the depth of the node that answered.</summary>
    public static BlockError Resolve(BlockDriverState top, long offset, long length, out BlockStatus status, out int depth)
    {
        ArgumentNullException.ThrowIfNull(top);
        var node = top;
        depth = 0;
        while (true)
        {
            var error = node.Driver.GetBlockStatus(offset, length, out status);
            if (error != BlockError.None || status.Has(BlockStatusFlags.Allocated))
            {
                return error;
            }

            if (node.Backing?.Node is not { } backing || offset >= backing.Length)
            {
                // The end of the chain: nothing stored, the range reads as zeroes.
                status = status with { Flags = status.Flags | BlockStatusFlags.Zero };
                return BlockError.None;
            }

            length = Math.Min(status.Length, backing.Length - offset);
            node = backing;
            depth++;
        }
    }
}
