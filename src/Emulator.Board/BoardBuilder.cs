using Emulator.Block.Backend;
using Emulator.Machine.Loop;

namespace Emulator.Board;

/// <summary>One call from a <see cref="BoardDescription"/> to a board ready to start: the machine, its BIOS and controllers, the drives, the boot order.</summary>
public static class BoardBuilder
{
    /// <summary>
    /// Builds a machine from <paramref name="description"/>, installs the BIOS and the storage controllers,
    /// places and opens the drives in <paramref name="layer"/> and writes the boot order. The machine is not
    /// started.
    /// </summary>
    /// <param name="description">What to build.</param>
    /// <param name="layer">The block layer the drives' backends are opened in.</param>
    /// <returns>The populated board.</returns>
    /// <exception cref="BoardException">A drive cannot be placed or attached, or the BIOS image has an impossible size; the message is QEMU's wording.</exception>
    /// <exception cref="Emulator.Block.Backend.BlockOperationException">A drive's image cannot be opened.</exception>
    public static PcBoard Build(BoardDescription description, BlockLayer layer) =>
        new PcBoard(new PcMachine(description.Machine), layer, description.EmptyBoard, description.DeterministicIo, description.Bios).Populate(description);
}
