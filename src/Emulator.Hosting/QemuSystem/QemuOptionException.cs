namespace Emulator.Hosting.QemuSystem;

/// <summary>
/// A QEMU-style command line the launcher refuses; printed as "emu-system-x86_64: MESSAGE", exit status 1.
/// <see cref="Detail"/> is the message without the option it came from, as QMP's device_add reports it.
/// </summary>
public sealed class QemuOptionException(string message, string? detail = null) : Exception(message)
{
    /// <summary>The message without the option it came from (what QMP's device_add reports); the whole message when none was given.</summary>
    public string Detail => detail ?? Message;

    /// <summary>"<paramref name="context"/>: <paramref name="detail"/>", keeping the detail apart.</summary>
    public static QemuOptionException In(string context, string detail) => new($"{context}: {detail}", detail);
}
