namespace Emulator.Block.Backend;

/// <summary>
/// Refusal of a management operation (opening a node, a media change, a resize …) with a message that
/// names the problem, shown to the user or QMP client as is. Never used on the I/O path, where errors are <see cref="BlockError"/> values.
/// </summary>
public sealed class BlockOperationException : Exception
{
    public BlockOperationException(string message)
        : base(message)
    {
    }

    public BlockOperationException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
