using System.Text.Json.Nodes;
using Emulator.Block.Backend;

namespace Emulator.Monitor.Commands;

/// <summary>
/// Publishes the block layer's events as QMP events with QEMU 7.2's data members: DEVICE_TRAY_MOVED,
/// BLOCK_IO_ERROR and BLOCK_IMAGE_CORRUPTED (all published on the machine/loop side: drivers' corruption
/// events are queued by the block layer and published by the loop with the backend's name).
/// </summary>
public sealed class BlockEventBridge
{
    private readonly MonitorEvents _events;

    /// <summary>Forwards every event <paramref name="blockEvents"/> publishes to <paramref name="events"/> from now on, for as long as the broadcaster lives (one bridge per block layer).</summary>
    public BlockEventBridge(BlockEventBroadcaster blockEvents, MonitorEvents events)
    {
        _events = events;
        blockEvents.Published += Forward;
    }

    private void Forward(BlockEvent blockEvent)
    {
        switch (blockEvent)
        {
            case DeviceTrayMovedEvent tray:
                _events.Publish(tray.Name, new JsonObject { ["device"] = tray.Device, ["tray-open"] = tray.TrayOpen, ["id"] = tray.Id });
                break;
            case BlockIoErrorEvent error:
                var data = new JsonObject { ["device"] = error.Device };
                if (error.NodeName is { } node)
                {
                    data["node-name"] = node;
                }

                data["operation"] = error.Operation;
                data["action"] = error.Action;
                if (error.NoSpace is { } nospace)
                {
                    data["nospace"] = nospace;
                }

                data["reason"] = error.Reason;
                _events.Publish(error.Name, data);
                break;
            case BlockImageCorruptedEvent corrupted:
            {
                var details = new JsonObject { ["device"] = corrupted.Device, ["node-name"] = corrupted.NodeName, ["msg"] = corrupted.Message };
                if (corrupted.Offset is { } offset)
                {
                    details["offset"] = offset;
                }

                if (corrupted.Size is { } size)
                {
                    details["size"] = size;
                }

                details["fatal"] = corrupted.Fatal;
                _events.Publish(corrupted.Name, details);
                break;
            }
        }
    }
}
