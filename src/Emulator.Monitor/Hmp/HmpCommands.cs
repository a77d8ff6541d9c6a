using System.Text;
using System.Text.Json.Nodes;
using Emulator.Block.Backend;
using Emulator.Monitor.Commands;
using Emulator.Monitor.Qmp;

namespace Emulator.Monitor.Hmp;

/// <summary>
/// QMP's <c>human-monitor-command</c> with a small HMP set: <c>info block</c>, <c>info blockstats</c>,
/// <c>eject [-f] DEV</c>, <c>change DEV FILE [FMT]</c>, <c>qemu-io DEV "CMD"</c>, <c>drive_add ADDR OPTS</c>
/// (through the front end's <see cref="IDriveHotplug"/>) and <c>drive_del ID</c>. Replies are QEMU 7.2's
/// text with CR LF line ends; failures come back inside a normal return, as <c>Error: …</c> where QEMU's
/// command uses hmp_handle_error and bare where it uses error_report (drive_add, drive_del).
/// </summary>
internal static class HmpCommands
{
    public static void Register(QmpCommandTable table, BlockLayer layer, HmpOutput output, IDriveHotplug? drives)
    {
        table.Add(new QmpCommand(
            "human-monitor-command",
            [new QmpParameter("command-line", QmpType.String), new QmpParameter("cpu-index", QmpType.Integer, Optional: true)],
            a => Execute(table, layer, output, drives, a.String("command-line"))));
    }

    private static string Execute(QmpCommandTable table, BlockLayer layer, HmpOutput output, IDriveHotplug? drives, string line)
    {
        var words = Tokenize(line);
        if (words.Count == 0)
        {
            return string.Empty;
        }

        try
        {
            return (words[0], words.Count) switch
            {
                ("info", 2) when words[1] == "block" => InfoBlock(layer),
                ("info", 2) when words[1] == "blockstats" => InfoBlockstats(layer),
                ("eject", _) => Eject(layer, words),
                ("change", 3 or 4) => Change(layer, words),
                ("qemu-io", _) => QemuIo(layer, output, words),
                ("drive_add", _) when drives is not null => DriveAdd(drives, words),
                ("drive_del", _) => DriveDel(table, layer, words),
                _ => $"unknown command: '{line.Trim()}'\r\n",
            };
        }
        catch (QmpException e)
        {
            return $"Error: {e.Message}\r\n";
        }
        catch (BlockOperationException e)
        {
            return $"Error: {e.Message}\r\n";
        }
    }

    /// <summary>
    /// drive_add [-n] ADDR OPTS: ADDR (a PCI address, or anything for if=none) is not used, OPTS is a -drive.
    /// "-n" (add a node instead) is not supported here. Failures print QEMU's message bare (error_report).
    /// </summary>
    private static string DriveAdd(IDriveHotplug drives, List<string> words)
    {
        if (words.Count < 3)
        {
            return "drive_add: string expected\r\nTry \"help drive_add\" for more information\r\n";
        }

        try
        {
            drives.AddDrive(words[2]);
            return "OK\r\n";
        }
        catch (QmpException e)
        {
            return $"{e.Message}\r\n";
        }
    }

    /// <summary>
    /// drive_del ID (QEMU's hmp_drive_del): a node name is deleted as blockdev-del would; a drive loses its
    /// medium and name at once (its device, if any, keeps an empty anonymous backend until it is removed).
    /// </summary>
    private static string DriveDel(QmpCommandTable table, BlockLayer layer, List<string> words)
    {
        if (words.Count < 2)
        {
            return "drive_del: block device name expected\r\nTry \"help drive_del\" for more information\r\n";
        }

        var id = words[1];
        try
        {
            if (layer.NodeExists(id))
            {
                var blockdevDel = table.Find("blockdev-del") ?? throw new InvalidOperationException("blockdev-del is not registered");
                blockdevDel.Handler(new QmpArguments(new JsonObject { ["node-name"] = id }));
                return string.Empty;
            }

            if (layer.FindBackend(id) is not { } backend)
            {
                return $"Device '{id}' not found\r\n";
            }

            layer.DeleteDrive(backend);
            return string.Empty;
        }
        catch (QmpException e)
        {
            return $"{e.Message}\r\n";
        }
        catch (BlockOperationException e)
        {
            return $"{e.Message}\r\n";
        }
    }

    private static List<string> Tokenize(string line)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        var any = false;
        foreach (var c in line)
        {
            if (c == '"')
            {
                quoted = !quoted;
                any = true;
            }
            else if (c == ' ' && !quoted)
            {
                if (any)
                {
                    words.Add(current.ToString());
                    current.Clear();
                    any = false;
                }
            }
            else
            {
                current.Append(c);
                any = true;
            }
        }

        if (any)
        {
            words.Add(current.ToString());
        }

        return words;
    }

    private static string InfoBlock(BlockLayer layer)
    {
        var text = new StringBuilder();
        foreach (var backend in BlockDeviceLookup.Listed(layer))
        {
            if (text.Length > 0)
            {
                text.Append("\r\n");
            }

            var name = backend.Name.Length > 0 ? backend.Name : backend.DeviceId;
            if (backend.DescribeMedium() is { } medium)
            {
                text.Append($"{name} ({medium.NodeName}): {medium.Filename} ({medium.Driver}{(medium.ReadOnly ? ", read-only" : string.Empty)})\r\n");
            }
            else
            {
                text.Append($"{name}: [not inserted]\r\n");
            }

            if (backend.HasDevice)
            {
                text.Append($"    Attached to:      {backend.DeviceId}\r\n");
            }

            // QEMU prints the tray for every removable backend (one without a tray, or without a device, reads
            // "closed"): query-block's removable is true for a backend no device claims, as for sd0 or if=none.
            if (backend.HasRemovableMedia)
            {
                var locked = backend.IsMediumLocked ? "locked" : "not locked";
                text.Append($"    Removable device: {locked}, tray {(backend.HasTray && backend.IsTrayOpen ? "open" : "closed")}\r\n");
            }

            if (backend.IoStatusEnabled && backend.IoStatus != IoStatus.Ok)
            {
                text.Append($"    I/O status:       {(backend.IoStatus == IoStatus.NoSpace ? "nospace" : "failed")}\r\n");
            }

            if (backend.IsInserted)
            {
                text.Append($"    Cache mode:       {(backend.WriteCacheEnabled ? "writeback" : "writethrough")}\r\n");
            }
        }

        return text.ToString();
    }

    private static string InfoBlockstats(BlockLayer layer)
    {
        var text = new StringBuilder();
        foreach (var backend in BlockDeviceLookup.Listed(layer))
        {
            var stats = backend.Stats;
            var rd = stats[BlockAcctType.Read];
            var wr = stats[BlockAcctType.Write];
            var fl = stats[BlockAcctType.Flush];
            text.Append($"{(backend.Name.Length > 0 ? backend.Name : backend.DeviceId)}: rd_bytes={rd.Bytes} wr_bytes={wr.Bytes} " +
                $"rd_operations={rd.Operations} wr_operations={wr.Operations} flush_operations={fl.Operations} " +
                $"wr_total_time_ns={wr.TotalTimeNs} rd_total_time_ns={rd.TotalTimeNs} flush_total_time_ns={fl.TotalTimeNs} " +
                $"rd_merged={rd.Merged} wr_merged={wr.Merged} idle_time_ns={stats.IdleTimeNs ?? 0}\r\n");
        }

        return text.ToString();
    }

    private static string Eject(BlockLayer layer, List<string> words)
    {
        var force = words.Contains("-f");
        var device = words.Skip(1).FirstOrDefault(w => w != "-f") ?? throw new QmpException("Parameter 'device' is missing");
        layer.Media.Eject(BlockDeviceLookup.ByName(layer, device), force, device);
        return string.Empty;
    }

    private static string Change(BlockLayer layer, List<string> words)
    {
        var device = words[1];
        layer.Media.ChangeMedium(BlockDeviceLookup.ByName(layer, device), words[2], words.Count > 3 ? words[3] : null, ReadOnlyMode.Retain, device);
        return string.Empty;
    }

    private static string QemuIo(BlockLayer layer, HmpOutput output, List<string> words)
    {
        var arguments = words.Skip(1).Where(w => w != "-d").ToList();
        if (arguments.Count != 2)
        {
            return "Error: qemu-io takes a drive and one command in quotes\r\n";
        }

        var device = arguments[0];
        var backend = layer.FindBackend(device)
            ?? layer.Backends.FirstOrDefault(b => b.HasDevice && b.DeviceId == device)
            ?? throw new QmpException($"Cannot find device='{device}' nor node-name='{device}'");
        new QemuIoCommand(backend, output.Writer).Run(arguments[1]);
        return string.Empty;
    }
}
