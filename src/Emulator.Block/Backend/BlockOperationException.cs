namespace Emulator.Block.Backend;

/// <summary>
/// Refusal of a management operation (opening a node, a media change, a resize …) with a message that
/// names the problem, shown to the user or QMP client as is. Never used on the I/O path, where errors are <see cref="BlockError"/> values.
/// </summary>
public sealed class BlockOperationException : Exception
{
    /// <summary>A refused operation; <paramref name="message"/> is shown to the user as it is (a QMP error description, a tool's message).</summary>
    public BlockOperationException(string message)
        : base(message)
    {
    }

    /// <summary>A refused operation with its user-facing <paramref name="message"/> and the failure underneath.</summary>
    public BlockOperationException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
