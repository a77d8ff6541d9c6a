namespace Emulator.Block.Graph;

/// <summary>A child of a node being opened: either a new node described inline, or a reference to an existing node by name.</summary>
public sealed record BlockChildOptions
{
    private BlockChildOptions(BlockNodeOptions? inline, string? reference)
    {
        Inline = inline;
        Reference = reference;
    }

    public BlockNodeOptions? Inline { get; }

    public string? Reference { get; }

    public static BlockChildOptions Of(BlockNodeOptions options) => new(options ?? throw new ArgumentNullException(nameof(options)), null);

    public static BlockChildOptions Ref(string nodeName) => new(null, nodeName ?? throw new ArgumentNullException(nameof(nodeName)));

    public static implicit operator BlockChildOptions(BlockNodeOptions options) => Of(options);
}
