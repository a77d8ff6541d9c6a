using Emulator.Block.Backend;
using Emulator.Machine.Loop;

namespace Emulator.Board;

/// <summary>Feeds the block layer's completions to the machine loop's fixed point and wakes the loop when one arrives.</summary>
public sealed class BlockLoopSource(BlockLayer layer) : IMachineLoopSource
{
    public bool HasOutstanding => layer.Backends.Any(b => b.InFlight > 0);

    public int RunPending() => layer.Completions.RunPending();

    public void SetWakeup(Action wakeup) => layer.Completions.Posted = wakeup;
}
