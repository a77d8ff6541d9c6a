using Emulator.Block.Backend;
using Emulator.Monitor.Qmp;

namespace Emulator.Monitor.Commands;

/// <summary>Finds the backend a block command names by <c>device</c> (backend name) or <c>id</c> (qdev id), as QEMU's qmp_get_blk does.</summary>
internal static class BlockDeviceLookup
{
    public static readonly QmpParameter Device = new("device", QmpType.String, Optional: true);
    public static readonly QmpParameter Id = new("id", QmpType.String, Optional: true);

    /// <summary>Exactly one of <c>device</c> and <c>id</c>; returns the backend and the name to use in messages.</summary>
    public static (BlockBackend Backend, string Label) DeviceOrId(BlockLayer layer, QmpArguments arguments)
    {
        var device = arguments.OptionalString("device");
        var id = arguments.OptionalString("id");
        if ((device is null) == (id is null))
        {
            throw new QmpException("Need exactly one of 'device' and 'id'");
        }

        return device is not null ? (ByName(layer, device), device) : (ById(layer, id!), id!);
    }

    public static BlockBackend ByName(BlockLayer layer, string device) =>
        layer.FindBackend(device) ?? throw new QmpException($"Device '{device}' not found", QmpErrorClass.DeviceNotFound);

    public static BlockBackend ById(BlockLayer layer, string id) =>
        layer.Backends.FirstOrDefault(b => b.HasDevice && b.DeviceId == id)
        ?? throw new QmpException($"Device '{id}' not found", QmpErrorClass.DeviceNotFound);

    /// <summary>Backends shown by query-block/query-blockstats: named ones and those a device uses.</summary>
    public static IEnumerable<BlockBackend> Listed(BlockLayer layer) => layer.Backends.Where(b => b.Name.Length > 0 || b.HasDevice);

    /// <summary>Runs a block-layer management call, turning its refusal into the QMP error QEMU sends.</summary>
    public static void Run(Action action)
    {
        try
        {
            action();
        }
        catch (BlockOperationException e)
        {
            throw new QmpException(e.Message);
        }
    }
}
