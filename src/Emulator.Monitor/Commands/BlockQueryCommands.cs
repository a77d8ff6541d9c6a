using System.Text.Json.Nodes;
using Emulator.Block.Backend;
using Emulator.Monitor.Qmp;

namespace Emulator.Monitor.Commands;

/// <summary>query-block, query-blockstats and query-named-block-nodes, with QEMU 7.2's member names.</summary>
internal static class BlockQueryCommands
{
    public static void Register(QmpCommandTable table, BlockLayer layer)
    {
        table.Add(new QmpCommand("query-block", [], _ =>
            new JsonArray([.. BlockDeviceLookup.Listed(layer).Select(b => (JsonNode)BlockInfo(b))])));
        table.Add(new QmpCommand("query-blockstats", [new QmpParameter("query-nodes", QmpType.Boolean, Optional: true)], a =>
            a.Boolean("query-nodes", false)
                ? new JsonArray([.. layer.DescribeNodes().Select(n => (JsonNode)new JsonObject { ["node-name"] = n.NodeName, ["stats"] = EmptyStats() })])
                : new JsonArray([.. BlockDeviceLookup.Listed(layer).Select(b => (JsonNode)BlockStats(b))])));
        table.Add(new QmpCommand("query-named-block-nodes", [new QmpParameter("flat", QmpType.Boolean, Optional: true)], _ =>
            new JsonArray([.. layer.DescribeNodes().Select(n => (JsonNode)NodeInfo(n))])));
    }

    public static JsonObject BlockInfo(BlockBackend backend)
    {
        var info = new JsonObject { ["device"] = backend.Name };
        if (backend.HasDevice)
        {
            info["qdev"] = backend.DeviceId;
        }

        info["locked"] = backend.IsMediumLocked;
        info["removable"] = backend.HasRemovableMedia;
        if (backend.HasTray)
        {
            info["tray_open"] = backend.IsTrayOpen;
        }

        if (backend.IoStatusEnabled)
        {
            info["io-status"] = backend.IoStatus switch
            {
                IoStatus.Failed => "failed",
                IoStatus.NoSpace => "nospace",
                _ => "ok",
            };
        }

        if (backend.DescribeMedium() is { } medium)
        {
            var inserted = NodeInfo(medium);
            inserted["cache"]!["writeback"] = backend.WriteCacheEnabled;
            info["inserted"] = inserted;
        }

        info["type"] = "unknown";
        return info;
    }

    /// <summary>BlockDeviceInfo: the member set QEMU 7.2 reports (throttling values are always 0: no throttling yet).</summary>
    public static JsonObject NodeInfo(BlockNodeInfo node)
    {
        var info = NodeInfoWithoutBacking(node);
        if (node.Backing is { } backing)
        {
            info["backing_file"] = backing.Filename;
        }

        return info;
    }

    private static JsonObject NodeInfoWithoutBacking(BlockNodeInfo node) => new()
    {
        ["file"] = node.Filename,
        ["node-name"] = node.NodeName,
        ["ro"] = node.ReadOnly,
        ["drv"] = node.Driver,
        ["backing_file_depth"] = node.BackingFileDepth,
        ["encrypted"] = false,
        ["detect_zeroes"] = "off",
        ["bps"] = 0,
        ["bps_rd"] = 0,
        ["bps_wr"] = 0,
        ["iops"] = 0,
        ["iops_rd"] = 0,
        ["iops_wr"] = 0,
        ["write_threshold"] = 0,
        ["cache"] = new JsonObject { ["writeback"] = true, ["direct"] = node.CacheDirect, ["no-flush"] = false },
        ["image"] = ImageInfo(node),
    };

    private static JsonObject ImageInfo(BlockNodeInfo node)
    {
        var image = new JsonObject
        {
            ["filename"] = node.Filename,
            ["format"] = node.Driver,
            ["virtual-size"] = node.VirtualSize,
        };
        if (node.ActualSize is { } actual)
        {
            image["actual-size"] = actual;
        }

        image["dirty-flag"] = false;
        if (node.Backing is { } backing)
        {
            image["backing-filename"] = backing.Filename;
            image["full-backing-filename"] = backing.Filename;
            image["backing-filename-format"] = backing.Driver;
            image["backing-image"] = ImageInfo(backing);
        }

        return image;
    }

    private static JsonObject BlockStats(BlockBackend backend)
    {
        var entry = new JsonObject { ["device"] = backend.Name };
        if (backend.RootNodeName is { } node)
        {
            entry["node-name"] = node;
        }

        if (backend.HasDevice)
        {
            entry["qdev"] = backend.DeviceId;
        }

        entry["stats"] = Stats(backend.Stats);
        return entry;
    }

    private static JsonObject Stats(BlockAcctStats stats)
    {
        var rd = stats[BlockAcctType.Read];
        var wr = stats[BlockAcctType.Write];
        var fl = stats[BlockAcctType.Flush];
        var un = stats[BlockAcctType.Unmap];
        var json = new JsonObject
        {
            ["rd_bytes"] = rd.Bytes,
            ["wr_bytes"] = wr.Bytes,
            ["unmap_bytes"] = un.Bytes,
            ["rd_operations"] = rd.Operations,
            ["wr_operations"] = wr.Operations,
            ["flush_operations"] = fl.Operations,
            ["unmap_operations"] = un.Operations,
            ["rd_total_time_ns"] = rd.TotalTimeNs,
            ["wr_total_time_ns"] = wr.TotalTimeNs,
            ["flush_total_time_ns"] = fl.TotalTimeNs,
            ["unmap_total_time_ns"] = un.TotalTimeNs,
            ["wr_highest_offset"] = stats.WriteHighestOffset,
            ["rd_merged"] = rd.Merged,
            ["wr_merged"] = wr.Merged,
            ["unmap_merged"] = un.Merged,
            ["failed_rd_operations"] = rd.FailedOperations,
            ["failed_wr_operations"] = wr.FailedOperations,
            ["failed_flush_operations"] = fl.FailedOperations,
            ["failed_unmap_operations"] = un.FailedOperations,
            ["invalid_rd_operations"] = rd.InvalidOperations,
            ["invalid_wr_operations"] = wr.InvalidOperations,
            ["invalid_flush_operations"] = fl.InvalidOperations,
            ["invalid_unmap_operations"] = un.InvalidOperations,
            ["account_invalid"] = true,
            ["account_failed"] = true,
            ["timed_stats"] = new JsonArray(),
        };
        if (stats.IdleTimeNs is { } idle)
        {
            json["idle_time_ns"] = idle;
        }

        return json;
    }

    private static JsonObject EmptyStats() => Stats(new BlockAcctStats());
}
