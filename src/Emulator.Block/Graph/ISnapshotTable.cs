using Emulator.Block.Backend;

namespace Emulator.Block.Graph;

/// <summary>A format driver with internal snapshots (<c>img snapshot</c>, the list in <c>img info</c>); offline operations.</summary>
public interface ISnapshotTable
{
    /// <summary>The snapshots in the image, in table order.</summary>
    IReadOnlyList<ImageSnapshot> Snapshots { get; }

    /// <summary>
    /// Saves the current disk state as a new snapshot named <paramref name="name"/> (a name already taken is allowed, as in
    /// QEMU). Returns an I/O or space error when writing the table failed, <see cref="BlockError.Unsupported"/> when the
    /// image cannot hold snapshots (qcow2 with an external data file).
    /// </summary>
    /// <exception cref="BlockOperationException">The image is read-only.</exception>
    BlockError CreateSnapshot(string name);

    /// <summary>Reverts the active image to the snapshot with this ID (tried first) or name; an I/O or space error when writing failed.</summary>
    /// <exception cref="BlockOperationException">No such snapshot, its disk size differs from the image's, or the image is read-only.</exception>
    BlockError ApplySnapshot(string idOrName);

    /// <summary>Removes the snapshot with this ID (tried first) or name and frees the clusters only it used; an I/O or space error when writing failed.</summary>
    /// <exception cref="BlockOperationException">No such snapshot, or the image is read-only.</exception>
    BlockError DeleteSnapshot(string idOrName);
}
