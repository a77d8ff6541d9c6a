namespace Emulator.Cli.Boot;

/// <summary>A command line the tool refuses: the message is the one line shown to the user.</summary>
internal sealed class UsageException(string message) : Exception(message);
