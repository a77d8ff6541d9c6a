using Emulator.Block.Backend;
using Emulator.Monitor.Qmp;

namespace Emulator.Monitor.Commands;

/// <summary>blockdev-add and blockdev-del: nodes the monitor owns until it deletes them.</summary>
internal static class BlockdevCommands
{
    public static void Register(QmpCommandTable table, BlockLayer layer, BlockdevOptionsParser parser)
    {
        var owned = new HashSet<string>(StringComparer.Ordinal);
        table.Add(new QmpCommand("blockdev-add", [new QmpParameter("driver", QmpType.String)], a =>
        {
            var options = parser.Parse(a.Raw);
            if (options.NodeName is null)
            {
                // QEMU requires a name on the top node of blockdev-add so it can be deleted later.
                throw new QmpException("'node-name' must be specified for the root node");
            }

            BlockDeviceLookup.Run(() => owned.Add(layer.AddNode(options)));
            return null;
        }, OpenArguments: true));
        table.Add(new QmpCommand("blockdev-del", [new QmpParameter("node-name", QmpType.String)], a =>
        {
            var name = a.String("node-name");
            if (!layer.NodeExists(name))
            {
                throw new QmpException($"Failed to find node with node-name='{name}'");
            }

            if (!owned.Contains(name))
            {
                throw new QmpException($"Node {name} is not owned by the monitor");
            }

            BlockDeviceLookup.Run(() => layer.DeleteNode(name));
            owned.Remove(name);
            return null;
        }));
    }
}
