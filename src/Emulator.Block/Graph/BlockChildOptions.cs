namespace Emulator.Block.Graph;

/// <summary>A child of a node being opened: either a new node described inline, or a reference to an existing node by name.</summary>
public sealed record BlockChildOptions
{
    private BlockChildOptions(BlockNodeOptions? inline, string? reference)
    {
        Inline = inline;
        Reference = reference;
    }

    /// <summary>The options of a new child node opened with its parent; null for a reference.</summary>
    public BlockNodeOptions? Inline { get; }

    /// <summary>The name of an existing node to use as the child; null for an inline child.</summary>
    public string? Reference { get; }

    /// <summary>A child opened from <paramref name="options"/> together with its parent (it inherits the parent's read-only mode).</summary>
    public static BlockChildOptions Of(BlockNodeOptions options) => new(options ?? throw new ArgumentNullException(nameof(options)), null);

    /// <summary>A child that is the existing node <paramref name="nodeName"/>; the parent's edge takes a reference to it.</summary>
    public static BlockChildOptions Ref(string nodeName) => new(null, nodeName ?? throw new ArgumentNullException(nameof(nodeName)));

    /// <summary>Same as <see cref="Of"/>.</summary>
    public static implicit operator BlockChildOptions(BlockNodeOptions options) => Of(options);
}
