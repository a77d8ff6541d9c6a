using Emulator.Block.Backend;
using Emulator.Monitor.Qmp;

namespace Emulator.Monitor.Commands;

/// <summary>eject, blockdev-open-tray/-close-tray, blockdev-remove-medium/-insert-medium/-change-medium, block_resize.</summary>
internal static class BlockMediaCommands
{
    public static void Register(QmpCommandTable table, BlockLayer layer)
    {
        var device = BlockDeviceLookup.Device;
        var id = BlockDeviceLookup.Id;
        var force = new QmpParameter("force", QmpType.Boolean, Optional: true);

        table.Add(new QmpCommand("eject", [device, id, force], a =>
        {
            var (backend, label) = BlockDeviceLookup.DeviceOrId(layer, a);
            BlockDeviceLookup.Run(() => layer.Media.Eject(backend, a.Boolean("force", false), label));
            return null;
        }));
        table.Add(new QmpCommand("blockdev-open-tray", [device, id, force], a =>
        {
            var (backend, label) = BlockDeviceLookup.DeviceOrId(layer, a);

            // A locked tray stays closed and the guest is asked to eject; QMP still succeeds.
            BlockDeviceLookup.Run(() => layer.Media.OpenTray(backend, a.Boolean("force", false), label));
            return null;
        }));
        table.Add(new QmpCommand("blockdev-close-tray", [device, id], a =>
        {
            var (backend, label) = BlockDeviceLookup.DeviceOrId(layer, a);
            BlockDeviceLookup.Run(() => layer.Media.CloseTray(backend, label));
            return null;
        }));
        table.Add(new QmpCommand("blockdev-remove-medium", [new QmpParameter("id", QmpType.String)], a =>
        {
            var id = a.String("id");
            var backend = BlockDeviceLookup.ById(layer, id);
            BlockDeviceLookup.Run(() => layer.Media.RemoveMedium(backend, id));
            return null;
        }));
        table.Add(new QmpCommand("blockdev-insert-medium", [new QmpParameter("id", QmpType.String), new QmpParameter("node-name", QmpType.String)], a =>
        {
            var id = a.String("id");
            var backend = BlockDeviceLookup.ById(layer, id);
            BlockDeviceLookup.Run(() => layer.Media.InsertMedium(backend, a.String("node-name"), id));
            return null;
        }));
        table.Add(new QmpCommand(
            "blockdev-change-medium",
            [device, id, new QmpParameter("filename", QmpType.String), new QmpParameter("format", QmpType.String, Optional: true),
             new QmpParameter("force", QmpType.Boolean, Optional: true), new QmpParameter("read-only-mode", QmpType.String, Optional: true)],
            a =>
            {
                var (backend, label) = BlockDeviceLookup.DeviceOrId(layer, a);
                var mode = a.OptionalString("read-only-mode") switch
                {
                    null or "retain" => ReadOnlyMode.Retain,
                    "read-only" => ReadOnlyMode.ReadOnly,
                    "read-write" => ReadOnlyMode.ReadWrite,
                    var other => throw new QmpException($"Parameter 'read-only-mode' does not accept value '{other}'"),
                };
                BlockDeviceLookup.Run(() => layer.Media.ChangeMedium(backend, a.String("filename"), a.OptionalString("format"), mode, label));
                return null;
            }));
        table.Add(new QmpCommand(
            "block_resize",
            [device, new QmpParameter("node-name", QmpType.String, Optional: true), new QmpParameter("size", QmpType.Integer)],
            a => Resize(layer, a)));
    }

    private static System.Text.Json.Nodes.JsonNode? Resize(BlockLayer layer, QmpArguments a)
    {
        var name = a.OptionalString("device");
        var node = a.OptionalString("node-name");
        var size = a.Integer("size");
        var backend = name is null ? null : layer.FindBackend(name);
        if (backend is null && (node is null || !layer.NodeExists(node)))
        {
            throw new QmpException($"Cannot find device='{name}' nor node-name='{node}'");
        }

        if (size < 0)
        {
            throw new QmpException("Parameter 'size' expects a >0 size");
        }

        BlockError error = BlockError.None;
        BlockDeviceLookup.Run(() => error = backend is not null ? backend.Truncate(size) : layer.ResizeNode(node!, size));
        return error switch
        {
            BlockError.None => null,
            BlockError.NoMedium => throw new QmpException($"Device '{name}' has no medium"),
            BlockError.Unsupported => throw new QmpException("Image format driver does not support resize"),
            BlockError.ReadOnly => throw new QmpException("Cannot resize a read-only image"),
            _ => throw new QmpException($"Could not resize: {error.Describe()}"),
        };
    }
}
