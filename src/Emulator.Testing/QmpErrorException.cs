namespace Emulator.Testing;

/// <summary>A QMP command answered with an error reply (<see cref="QtestHarness.QmpReturn"/>).</summary>
public sealed class QmpErrorException : Exception
{
    /// <summary>The error reply <paramref name="errorClass"/>: <paramref name="description"/> to <paramref name="command"/>.</summary>
    public QmpErrorException(string command, string errorClass, string description)
        : base($"{command}: {errorClass}: {description}")
    {
        Command = command;
        ErrorClass = errorClass;
        Description = description;
    }

    /// <summary>The command that failed.</summary>
    public string Command { get; }

    /// <summary>QEMU's error class (GenericError, CommandNotFound, DeviceNotFound…).</summary>
    public string ErrorClass { get; }

    /// <summary>The error's <c>desc</c>.</summary>
    public string Description { get; }
}
