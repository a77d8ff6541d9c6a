namespace Emulator.Block.Tracing;

/// <summary>
/// The machine's clocks as the tracer sees them (the block layer references nothing of ours, so the host
/// installs this). Read from any thread: a worker reads a recent value, which is what it needs.
/// </summary>
public interface IIoTraceClock
{
    /// <summary>Virtual time in nanoseconds.</summary>
    long VirtualNanoseconds { get; }

    /// <summary>Guest instructions executed so far.</summary>
    long GuestInstructions { get; }
}
