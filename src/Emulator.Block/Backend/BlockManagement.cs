using Emulator.Block.Graph;

namespace Emulator.Block.Backend;

/// <summary>
/// Node-level management for the monitor (blockdev-add/-del, block_resize by node name,
/// query-named-block-nodes) expressed by node name, so the monitor never holds a node.
/// Machine/monitor thread only.
/// </summary>
public static class BlockManagement
{
    /// <summary>Opens a node from options; the caller (the monitor) owns the reference. Returns the node name.</summary>
    public static string AddNode(this BlockLayer layer, BlockNodeOptions options) => layer.Graph.Open(options).NodeName;

    /// <summary>Drops the monitor's reference of a node it added; refused while anything else uses the node.</summary>
    public static void DeleteNode(this BlockLayer layer, string nodeName)
    {
        var node = layer.Graph.Find(nodeName) ?? throw new BlockOperationException($"Failed to find node with node-name='{nodeName}'");
        if (node.RefCount > 1)
        {
            throw new BlockOperationException($"Block device {nodeName} is in use");
        }

        layer.Graph.Unref(node);
    }

    /// <summary>True when a node of this name is open in the layer's graph.</summary>
    public static bool NodeExists(this BlockLayer layer, string nodeName) => layer.Graph.Find(nodeName) is not null;

    /// <summary>Resizes a node by name and tells every backend that has it as medium.</summary>
    public static BlockError ResizeNode(this BlockLayer layer, string nodeName, long length)
    {
        var node = layer.Graph.Find(nodeName) ?? throw new BlockOperationException($"Cannot find device='' nor node-name='{nodeName}'");
        foreach (var backend in layer.Backends)
        {
            if (backend.Root == node)
            {
                return backend.Truncate(length);
            }
        }

        var resize = node.TruncateAsync(length);
        return resize.IsCompleted ? resize.Result : resize.AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Every node with a name given by the user or generated, protocol nodes included (query-named-block-nodes).</summary>
    public static IReadOnlyList<BlockNodeInfo> DescribeNodes(this BlockLayer layer) =>
        [.. layer.Graph.Nodes.Select(Describe)];

    /// <summary>The medium's root node, when one is inserted.</summary>
    public static BlockNodeInfo? DescribeMedium(this BlockBackend backend) => backend.Root is { } root ? Describe(root) : null;

    /// <summary>qemu-io's break: the next request matching <paramref name="blkdebugEvent"/> on the first blkdebug node under the backend's medium is suspended under <paramref name="tag"/>.</summary>
    public static bool DebugBreak(this BlockBackend backend, string blkdebugEvent, string tag)
    {
        if (FindBlkdebug(backend) is not { } debug || Drivers.Blkdebug.BlkdebugEvents.ToOperations(blkdebugEvent) is not { } operations)
        {
            return false;
        }

        debug.Break(operations, tag);
        return true;
    }

    /// <summary>qemu-io's resume: lets the request suspended under <paramref name="tag"/> continue.</summary>
    public static bool DebugResume(this BlockBackend backend, string tag) => FindBlkdebug(backend)?.Resume(tag) ?? false;

    /// <summary>Whether a request is suspended under <paramref name="tag"/> (qemu-io's wait_break polls this).</summary>
    public static bool DebugIsSuspended(this BlockBackend backend, string tag) => FindBlkdebug(backend)?.IsSuspended(tag) ?? false;

    private static Drivers.Blkdebug.BlkdebugDriver? FindBlkdebug(BlockBackend backend)
    {
        var pending = new Stack<BlockDriverState>();
        if (backend.Root is { } root)
        {
            pending.Push(root);
        }

        while (pending.TryPop(out var node))
        {
            if (node.Driver is Drivers.Blkdebug.BlkdebugDriver debug)
            {
                return debug;
            }

            foreach (var child in node.Children)
            {
                pending.Push(child.Node);
            }
        }

        return null;
    }

    private static BlockNodeInfo Describe(BlockDriverState node)
    {
        var depth = 0;
        for (var backing = node.Backing; backing is not null; backing = backing.Node.Backing)
        {
            depth++;
        }

        return new BlockNodeInfo(
            node.NodeName,
            node.DriverName,
            node.Driver.Filename,
            node.ReadOnly,
            node.Length,
            node.Driver.AllocatedSize,
            IsDirect(node),
            depth,
            node.Backing is { } backingEdge ? Describe(backingEdge.Node) : null);
    }

    private static bool IsDirect(BlockDriverState node)
    {
        for (var current = node; current is not null; current = current.File?.Node ?? current.FindChild("image")?.Node)
        {
            if (current.Driver is Drivers.File.FileDriver file)
            {
                return file.IsDirect;
            }
        }

        return false;
    }
}
