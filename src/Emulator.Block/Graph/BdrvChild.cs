namespace Emulator.Block.Graph;

/// <summary>A named edge from a parent node to a child node (<c>file</c>, <c>backing</c>, <c>image</c>); it holds a reference on the child.</summary>
internal sealed class BdrvChild
{
    internal BdrvChild(BlockDriverState parent, string name, BlockDriverState node)
    {
        Parent = parent;
        Name = name;
        Node = node;
    }

    public BlockDriverState Parent { get; }

    public string Name { get; }

    public BlockDriverState Node { get; }

    public override string ToString() => $"{Parent.NodeName} -{Name}-> {Node.NodeName}";
}
