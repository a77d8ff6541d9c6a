using Emulator.Block.Backend;

namespace Emulator.Block.Graph;

/// <summary>
/// The set of open nodes: unique node names, opening nodes and their children from typed options,
/// reference counting and deletion. Runs on the machine/monitor thread only.
/// </summary>
public sealed class BlockGraph
{
    private const int MaxNodeNameLength = 31;

    private readonly Dictionary<string, BlockDriverState> _nodes = new(StringComparer.Ordinal);
    private int _autoNameCounter;

    /// <summary>An empty graph whose nodes are opened by <paramref name="drivers"/>.</summary>
    internal BlockGraph(BlockDriverRegistry drivers)
    {
        Drivers = drivers;
    }

    /// <summary>The drivers nodes of this graph are opened with.</summary>
    public BlockDriverRegistry Drivers { get; }

    /// <summary>Another namespace the node names must not clash with (backend names); set by the block layer.</summary>
    internal Func<string, bool>? IsNameTakenElsewhere { get; set; }

    /// <summary>Every open node (a live view; do not change the graph while enumerating it). Machine/monitor thread.</summary>
    public IReadOnlyCollection<BlockDriverState> Nodes => _nodes.Values;

    /// <summary>The open node with this name, or null.</summary>
    public BlockDriverState? Find(string nodeName) => _nodes.GetValueOrDefault(nodeName);

    /// <summary>Opens a node (and inline children). The caller owns the returned reference.</summary>
    public BlockDriverState Open(BlockNodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var factory = Drivers.ForOptions(options);
        string name;
        var autoNamed = options.NodeName is null;
        if (options.NodeName is { } given)
        {
            CheckName(given, "Node name");
            name = given;
        }
        else
        {
            do
            {
                name = $"#block{_autoNameCounter++:D3}";
            }
            while (_nodes.ContainsKey(name));
        }

        var node = new BlockDriverState(name, autoNamed, options);
        try
        {
            node.SetDriver(factory.Open(node, options, this));
        }
        catch (BlockOperationException)
        {
            ReleaseChildren(node);
            throw;
        }

        _nodes.Add(name, node);
        return node;
    }

    /// <summary>Opens or references a child and attaches it to <paramref name="parent"/> under <paramref name="edgeName"/>.</summary>
    internal BdrvChild AttachChild(BlockDriverState parent, BlockChildOptions child, string edgeName)
    {
        BlockDriverState node;
        if (child.Reference is { } reference)
        {
            node = Find(reference) ?? throw new BlockOperationException($"Cannot find device='' nor node-name='{reference}'");
            if (node.ReadOnly && !parent.ReadOnly)
            {
                throw new BlockOperationException($"Block node '{reference}' is read-only and cannot be the '{edgeName}' child of writable node '{parent.NodeName}'");
            }

            Ref(node);
        }
        else
        {
            var options = child.Inline!;
            if (parent.ReadOnly && !options.ReadOnly)
            {
                // A read-only parent never needs write access to what it reads.
                options = options with { ReadOnly = true };
            }

            node = Open(options);
        }

        var edge = new BdrvChild(parent, edgeName, node);
        parent.AddChild(edge);
        return edge;
    }

    /// <summary>Takes one more reference to <paramref name="node"/>; each needs a matching <see cref="Unref"/>.</summary>
    /// <exception cref="InvalidOperationException">The node was already deleted.</exception>
    public void Ref(BlockDriverState node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node.RefCount <= 0)
        {
            throw new InvalidOperationException($"Node '{node.NodeName}' was already deleted.");
        }

        node.RefCount++;
    }

    /// <summary>Drops one reference; the last one closes the driver, drops the children and frees the name.</summary>
    public void Unref(BlockDriverState node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node.RefCount <= 0)
        {
            throw new InvalidOperationException($"Node '{node.NodeName}' was already deleted.");
        }

        if (--node.RefCount > 0)
        {
            return;
        }

        if (node.IsOpen)
        {
            // Nodes closed by CloseAll at shutdown are already gone; only the references remain.
            node.Driver.Close();
            _nodes.Remove(node.NodeName);
        }

        ReleaseChildren(node);
    }

    /// <summary>
    /// Every open node with parents before children, so a format node writes its metadata through a
    /// child that is still open: a node comes after every node holding an edge to it.
    /// </summary>
    public IReadOnlyList<BlockDriverState> TopDownOrder()
    {
        var parents = _nodes.Values.ToDictionary(node => node, _ => 0);
        foreach (var node in _nodes.Values)
        {
            foreach (var edge in node.Children)
            {
                if (parents.ContainsKey(edge.Node))
                {
                    parents[edge.Node]++;
                }
            }
        }

        var order = new List<BlockDriverState>(parents.Count);
        var ready = new Queue<BlockDriverState>(parents.Where(kv => kv.Value == 0).Select(kv => kv.Key).OrderBy(node => node.NodeName, StringComparer.Ordinal));
        while (ready.Count > 0)
        {
            var node = ready.Dequeue();
            order.Add(node);
            foreach (var edge in node.Children)
            {
                if (parents.ContainsKey(edge.Node) && --parents[edge.Node] == 0)
                {
                    ready.Enqueue(edge.Node);
                }
            }
        }

        return order;
    }

    /// <summary>
    /// Closes every node, parents first (host shutdown): each driver writes back what it holds and
    /// releases its file. References held elsewhere stay valid but point at closed nodes; dropping
    /// them later closes nothing twice.
    /// </summary>
    internal void CloseAll()
    {
        foreach (var node in TopDownOrder())
        {
            node.Driver.Close();
            node.MarkClosed();
        }

        _nodes.Clear();
    }

    /// <summary>The parents (nodes) that hold an edge to <paramref name="node"/>.</summary>
    internal IEnumerable<BdrvChild> ParentEdgesOf(BlockDriverState node)
    {
        foreach (var candidate in _nodes.Values)
        {
            foreach (var edge in candidate.Children)
            {
                if (edge.Node == node)
                {
                    yield return edge;
                }
            }
        }
    }

    /// <summary>QEMU's id rule: a letter, then letters, digits, '-', '.', '_'.</summary>
    public static bool IsWellFormedId(string name)
    {
        if (name.Length == 0 || !char.IsAsciiLetter(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '.' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    internal void CheckName(string name, string what)
    {
        if (!IsWellFormedId(name))
        {
            throw new BlockOperationException($"Invalid node-name: '{name}'");
        }

        if (name.Length > MaxNodeNameLength)
        {
            throw new BlockOperationException($"{what} '{name}' is longer than {MaxNodeNameLength} characters");
        }

        if (_nodes.ContainsKey(name))
        {
            throw new BlockOperationException($"Duplicate nodes with node-name='{name}'");
        }

        if (IsNameTakenElsewhere?.Invoke(name) == true)
        {
            throw new BlockOperationException($"node-name={name} is conflicting with a device id");
        }
    }

    private void ReleaseChildren(BlockDriverState node)
    {
        var children = node.Children.ToArray();
        node.ClearChildren();
        foreach (var child in children)
        {
            Unref(child.Node);
        }
    }
}
