using System.Text.Json.Nodes;

namespace Emulator.Monitor.Qmp;

/// <summary>The commands a QMP server offers, by name.</summary>
public sealed class QmpCommandTable
{
    private readonly Dictionary<string, QmpCommand> _commands = new(StringComparer.Ordinal);

    /// <summary>The names of the registered commands (<c>query-commands</c>), in no particular order.</summary>
    public IEnumerable<string> Names => _commands.Keys;

    /// <summary>
    /// Whether the machine waits in --preconfig (QEMU's phase before machine initialisation completes):
    /// then only the commands QEMU's schema marks allow-preconfig run (<see cref="QapiPreconfigCommands"/>).
    /// </summary>
    internal Func<bool> InPreconfig { get; init; } = static () => false;

    internal void Add(QmpCommand command)
    {
        if (!_commands.TryAdd(command.Name, command))
        {
            throw new InvalidOperationException($"QMP command '{command.Name}' is registered twice.");
        }
    }

    internal QmpCommand? Find(string name) => _commands.GetValueOrDefault(name);

    /// <summary>
    /// Runs command <paramref name="name"/> for a negotiated client, as a QMP session does after it checked
    /// the request's shape: CommandNotFound for an unknown name, the arguments checked against the command's
    /// parameters, the handler run on the machine thread through <paramref name="executor"/>. Returns the
    /// reply, <c>{"return": …}</c> or <c>{"error": {"class", "desc"}}</c>, with <paramref name="id"/> echoed.
    /// The socket sessions and the in-process harness both answer through here. With <paramref name="outOfBand"/>
    /// (<c>exec-oob</c>) the command must allow it and runs on the calling thread. The checks come in QEMU's
    /// order (qmp_dispatch): known, out-of-band allowed, available in this phase, arguments.
    /// </summary>
    public JsonObject Execute(string name, JsonObject arguments, IMonitorExecutor executor, JsonNode? id = null, bool outOfBand = false)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(executor);
        if (Find(name) is not { } command)
        {
            return ErrorReply($"The command {name} has not been found", QmpErrorClass.CommandNotFound, id);
        }

        if (outOfBand && !command.AllowOob)
        {
            return ErrorReply($"The command {name} does not support OOB", id: id);
        }

        if (InPreconfig() && !QapiPreconfigCommands.Allows(name))
        {
            return ErrorReply($"The command '{name}' is permitted only after machine initialization has completed", id: id);
        }

        try
        {
            var checkedArguments = QmpArguments.Check((JsonObject)arguments.DeepClone(), command.Parameters, command.OpenArguments);
            var result = (outOfBand ? command.Handler(checkedArguments) : executor.Invoke(() => command.Handler(checkedArguments))) ?? new JsonObject();
            var reply = new JsonObject { ["return"] = result };
            if (id is not null)
            {
                reply["id"] = id.DeepClone();
            }

            return reply;
        }
        catch (QmpException e)
        {
            return ErrorReply(e.Message, e.ErrorClass, id);
        }
    }

    /// <summary>QEMU's error reply: <c>{"error": {"class", "desc"}}</c>, with <paramref name="id"/> echoed when given.</summary>
    internal static JsonObject ErrorReply(string desc, QmpErrorClass errorClass = QmpErrorClass.GenericError, JsonNode? id = null)
    {
        var reply = new JsonObject { ["error"] = new JsonObject { ["class"] = errorClass.ToString(), ["desc"] = desc } };
        if (id is not null)
        {
            reply["id"] = id.DeepClone();
        }

        return reply;
    }
}
