namespace Emulator.Monitor.Qmp;

/// <summary>One argument of a command schema.</summary>
internal sealed record QmpParameter(string Name, QmpType Type, bool Optional = false);
