using Emulator.Block.Backend;
using Emulator.Machine.Loop;

namespace VirtioBlkSample;

/// <summary>
/// Lets the machine loop deliver the block layer's completions: a device's request finishes on an I/O
/// thread, and its completion (used ring, interrupt) runs on the machine thread at the loop's fixed point.
/// </summary>
internal sealed class BlockCompletions(BlockLayer layer) : IMachineLoopSource
{
    public bool HasOutstanding => layer.Backends.Any(b => b.InFlight > 0);

    public int RunPending() => layer.Completions.RunPending();

    public void SetWakeup(Action wakeup) => layer.Completions.Posted = wakeup;
}
