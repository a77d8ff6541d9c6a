namespace Emulator.Monitor.Hmp;

/// <summary>Where qemu-io prints, as QEMU's does: the emulator's standard output, not the HMP reply.</summary>
internal sealed class HmpOutput(TextWriter writer)
{
    public TextWriter Writer { get; } = writer;
}
