namespace Emulator.Cli.QemuSystem;

/// <summary>A QEMU-style command line the launcher refuses; printed as "emu-system-x86_64: MESSAGE", exit status 1.</summary>
internal sealed class QemuOptionException(string message) : Exception(message);
