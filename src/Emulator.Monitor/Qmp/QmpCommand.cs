using System.Text.Json.Nodes;

namespace Emulator.Monitor.Qmp;

/// <summary>
/// A QMP command: its name, its argument schema (checked before the handler runs, with QEMU's
/// messages), and the handler, which runs on the machine thread and returns the <c>return</c>
/// value (an empty object when it has nothing to say).
/// </summary>
/// <param name="Name">The command name.</param>
/// <param name="Parameters">The arguments; anything else is refused as unexpected.</param>
/// <param name="Handler">Runs the command.</param>
/// <param name="OpenArguments">Accept members not in the schema (blockdev-add's driver-specific options).</param>
internal sealed record QmpCommand(
    string Name,
    IReadOnlyList<QmpParameter> Parameters,
    Func<QmpArguments, JsonNode?> Handler,
    bool OpenArguments = false)
{
    /// <summary>
    /// QAPI <c>allow-oob</c>: a client that enabled the <c>oob</c> capability may run it with <c>exec-oob</c>,
    /// ahead of queued in-band commands. Its handler then runs on the client's I/O thread, not the machine
    /// thread, so it must touch nothing the machine thread owns.
    /// </summary>
    public bool AllowOob { get; init; }
}
