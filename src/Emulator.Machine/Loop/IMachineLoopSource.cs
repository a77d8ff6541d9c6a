namespace Emulator.Machine.Loop;

/// <summary>
/// Work that finishes off the machine thread and must be delivered on it, drained by the loop at its
/// one fixed point per iteration (block-layer completions are the main one). The machine knows only
/// this interface; the composition root adapts the block layer to it.
/// </summary>
public interface IMachineLoopSource
{
    /// <summary>Runs everything that is ready; returns how many items ran. Machine thread.</summary>
    int RunPending();

    /// <summary>True while work is outstanding that will become ready later (requests in flight).</summary>
    bool HasOutstanding { get; }

    /// <summary>Installs the callback the source calls (from any thread) when work becomes ready, to wake a sleeping loop.</summary>
    void SetWakeup(Action wakeup);

    /// <summary>
    /// True (the default) when the wake-up also ends the CPU's running slice, so the loop reaches its fixed
    /// point and delivers the work at the next instruction boundary, as an I/O thread's completion kicks
    /// QEMU's vCPU out of its translated code. False keeps delivery at the slice's natural end: a source
    /// that delivers at instruction counts the guest alone decides (deterministic I/O) must not let host
    /// timing choose where a slice ends.
    /// </summary>
    bool WakeupEndsSlice => true;
}
