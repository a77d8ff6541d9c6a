namespace Emulator.Monitor.Qmp;

/// <summary>The commands a QMP server offers, by name.</summary>
public sealed class QmpCommandTable
{
    private readonly Dictionary<string, QmpCommand> _commands = new(StringComparer.Ordinal);

    public IEnumerable<string> Names => _commands.Keys;

    public void Add(QmpCommand command)
    {
        if (!_commands.TryAdd(command.Name, command))
        {
            throw new InvalidOperationException($"QMP command '{command.Name}' is registered twice.");
        }
    }

    public QmpCommand? Find(string name) => _commands.GetValueOrDefault(name);
}
