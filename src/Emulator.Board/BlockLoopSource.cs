using Emulator.Block.Backend;
using Emulator.Machine.Loop;

namespace Emulator.Board;

/// <summary>
/// Feeds the block layer's completions to the machine loop's fixed point and wakes the loop when one arrives.
/// By default a completion is delivered at the first fixed point after its I/O thread posted it, and posting
/// ends the CPU's slice so that fixed point comes at the next instruction boundary (a guest that polls sees
/// it after a number of iterations that depends on the host); with
/// <paramref name="deterministic"/> the fixed point waits for every request in flight and delivers in
/// submission order (<see cref="BlockLayer.RunCompletionsInOrder"/>), so the guest sees each completion at
/// an instruction count that depends on the guest alone.
/// </summary>
public sealed class BlockLoopSource(BlockLayer layer, bool deterministic = false) : IMachineLoopSource
{
    /// <summary>Whether any block request is still in flight, so the loop keeps polling this source while the CPU halts.</summary>
    public bool HasOutstanding => layer.InFlight > 0;

    /// <summary>
    /// Runs the completions that are ready, on the machine thread at the loop's fixed point. In deterministic
    /// mode this first waits for every request in flight and then runs them in submission order.
    /// </summary>
    /// <returns>The number of completions run.</returns>
    public int RunPending() => deterministic ? layer.RunCompletionsInOrder() : layer.Completions.RunPending();

    /// <summary>Registers the loop's wakeup: the block layer's I/O threads call it after posting a completion.</summary>
    /// <param name="wakeup">Thread-safe action that wakes a halted loop.</param>
    public void SetWakeup(Action wakeup) => layer.Completions.Posted = wakeup;

    /// <summary>True unless deterministic: a kick from an I/O thread would let host timing choose the instruction at which a completion is delivered.</summary>
    public bool WakeupEndsSlice => !deterministic;
}
