using System.Text.Json.Nodes;
using Emulator.Block.Backend;
using Emulator.Monitor.Qmp;

namespace Emulator.Monitor.Commands;

/// <summary>query-version, query-commands, query-name, query-status, stop, cont, system_reset, x-exit-preconfig, query-cpus-fast, migrate-pause, quit.</summary>
internal static class CoreCommands
{
    public static void Register(QmpCommandTable table, IMachineControl machine, BlockLayer blocks)
    {
        table.Add(new QmpCommand("query-version", [], _ => QmpVersion.ToJson()));
        table.Add(new QmpCommand("query-commands", [], _ =>
            new JsonArray([.. table.Names.Append("qmp_capabilities").Order(StringComparer.Ordinal).Select(n => (JsonNode)new JsonObject { ["name"] = n })])));
        // QEMU answers an empty object for a VM started without -name.
        table.Add(new QmpCommand("query-name", [], _ => machine.Name is { } name ? new JsonObject { ["name"] = name } : new JsonObject()));

        // Members in QAPI schema order, as QEMU adds them: "singlestep" and "status" share a bucket of its
        // dictionary, so the order they are added is the order they go out (QmpJsonWriter).
        table.Add(new QmpCommand("query-status", [], _ => new JsonObject
        {
            ["running"] = machine.RunState == RunState.Running,
            ["singlestep"] = false,
            ["status"] = StatusName(machine.RunState),
        }));
        table.Add(new QmpCommand("stop", [], _ =>
        {
            machine.Stop();
            return null;
        }));
        table.Add(new QmpCommand("cont", [], _ =>
        {
            // QEMU refuses cont from the shutdown state before it touches anything, then resets every
            // backend's I/O status before the guest runs again.
            if (machine.RunState == RunState.Shutdown)
            {
                throw new QmpException("Resetting the Virtual Machine is required");
            }

            blocks.ResetAllIoStatus();
            machine.Continue();
            return null;
        }));
        table.Add(new QmpCommand("system_reset", [], _ =>
        {
            machine.Reset();
            return null;
        }));
        table.Add(new QmpCommand("x-exit-preconfig", [], _ =>
        {
            if (!machine.InPreconfig)
            {
                throw new QmpException("The command is permitted only before machine initialization");
            }

            machine.ExitPreconfig();
            return null;
        }));
        table.Add(new QmpCommand("query-cpus-fast", [], _ =>
            new JsonArray([.. Enumerable.Range(0, machine.CpuCount).Select(index => (JsonNode)new JsonObject
            {
                ["thread-id"] = Environment.ProcessId,
                ["props"] = new JsonObject { ["core-id"] = 0, ["thread-id"] = 0, ["socket-id"] = index },
                ["qom-path"] = $"/machine/unattached/device[{index}]",
                ["cpu-index"] = index,
                ["target"] = "x86_64",
            })])));

        // No migration ever runs here, so never in postcopy: QEMU's answer outside it. Safe off the machine thread.
        table.Add(new QmpCommand("migrate-pause", [], _ =>
            throw new QmpException("migrate-pause is currently only supported during postcopy-active state")) { AllowOob = true });
        table.Add(new QmpCommand("quit", [], _ =>
        {
            machine.Quit();
            return null;
        }));
    }

    /// <summary>QAPI RunState spelling.</summary>
    public static string StatusName(RunState state) => state switch
    {
        RunState.Prelaunch => "prelaunch",
        RunState.Running => "running",
        RunState.Paused => "paused",
        RunState.IoError => "io-error",
        RunState.Shutdown => "shutdown",
        _ => "internal-error",
    };
}
