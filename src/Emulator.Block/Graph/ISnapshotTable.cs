using Emulator.Block.Backend;

namespace Emulator.Block.Graph;

/// <summary>A format driver with internal snapshots (<c>img snapshot</c>, the list in <c>img info</c>); offline operations.</summary>
public interface ISnapshotTable
{
    IReadOnlyList<ImageSnapshot> Snapshots { get; }

    BlockError CreateSnapshot(string name);

    /// <summary>Reverts the active image to the snapshot with this ID or name.</summary>
    BlockError ApplySnapshot(string idOrName);

    BlockError DeleteSnapshot(string idOrName);
}
