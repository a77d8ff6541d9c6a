using Emulator.Block.Backend;
using Emulator.Machine.Loop;

namespace Emulator.Board;

/// <summary>One call from a <see cref="BoardDescription"/> to a board ready to start: the machine, its BIOS and controllers, the drives, the boot order.</summary>
public static class BoardBuilder
{
    public static PcBoard Build(BoardDescription description, BlockLayer layer) =>
        new PcBoard(new PcMachine(description.Machine), layer, description.EmptyBoard, description.DeterministicIo, description.Bios).Populate(description);
}
