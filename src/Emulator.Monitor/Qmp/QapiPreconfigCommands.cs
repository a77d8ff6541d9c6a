namespace Emulator.Monitor.Qmp;

/// <summary>
/// The commands QEMU 7.2's QAPI schema marks <c>allow-preconfig</c> (qapi/*.json), by name: the only ones
/// that run while the machine waits in --preconfig. Names this emulator does not implement are listed too,
/// so the table stays a copy of the schema's and a command added later needs no second edit here.
/// </summary>
internal static class QapiPreconfigCommands
{
    private static readonly HashSet<string> Names = new(StringComparer.Ordinal)
    {
        // block-core.json, block.json, block-export.json
        "query-block", "query-blockstats", "query-block-jobs", "blockdev-snapshot-sync", "blockdev-snapshot",
        "change-backing-file", "drive-backup", "blockdev-backup", "query-named-block-nodes", "x-debug-query-block-graph",
        "drive-mirror", "block-dirty-bitmap-add", "block-dirty-bitmap-remove", "block-dirty-bitmap-clear",
        "block-dirty-bitmap-enable", "block-dirty-bitmap-disable", "block-dirty-bitmap-merge",
        "x-debug-block-dirty-bitmap-sha256", "block-job-set-speed", "block-job-cancel", "block-job-pause",
        "block-job-resume", "block-job-complete", "block-job-dismiss", "block-job-finalize", "blockdev-add",
        "blockdev-reopen", "blockdev-del", "blockdev-create", "block-set-write-threshold",
        "blockdev-snapshot-internal-sync", "blockdev-snapshot-delete-internal-sync", "nbd-server-add",
        "nbd-server-remove", "nbd-server-stop", "block-export-add", "block-export-del", "query-block-exports",
        "query-pr-managers", "block_set_io_throttle",

        // char.json, control.json, machine.json, misc.json, net.json, qom.json, run-state.json
        "query-chardev", "qmp_capabilities", "query-version", "query-commands", "quit", "query-qmp-schema",
        "query-uuid", "query-memdev", "query-hotpluggable-cpus", "set-numa-node", "query-name", "query-iothreads",
        "x-exit-preconfig", "query-command-line-options", "netdev_add", "netdev_del", "qom-list", "qom-get",
        "qom-set", "qom-list-types", "qom-list-properties", "object-add", "object-del", "query-status",
    };

    public static bool Allows(string command) => Names.Contains(command);
}
