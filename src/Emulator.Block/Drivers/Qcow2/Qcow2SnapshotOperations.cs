using Emulator.Block.Backend;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>
/// The internal snapshot operations of <see cref="Qcow2Driver"/> (create, apply, delete; QEMU's
/// <c>qemu-img snapshot -c/-a/-d</c>): argument checks, the metadata lock, and re-reading the
/// snapshot table afterwards so the open image keeps seeing (and protecting) it. They assume no
/// guest I/O is in flight on the node (qemu-img runs them on an image nothing else uses).
/// </summary>
internal static class Qcow2SnapshotOperations
{
    /// <summary>
    /// Creates an internal snapshot of the active image (<c>img snapshot -c</c>; like qemu-img, a
    /// name already taken is allowed). Throws <see cref="BlockOperationException"/> on a read-only node.
    /// </summary>
    public static BlockError Create(Qcow2Driver driver, string name)
    {
        if (driver.Node.ReadOnly)
        {
            throw new BlockOperationException("Cannot create a snapshot of a read-only image");
        }

        lock (driver.MetadataLock)
        {
            return RefreshSnapshots(driver, Qcow2SnapshotCreator.Create(driver, name, DateTimeOffset.UtcNow));
        }
    }

    /// <summary>Reverts the active image to the internal snapshot with this ID or name (<c>img snapshot -a</c>). Throws <see cref="BlockOperationException"/> when there is none, its disk size differs or the node is read-only.</summary>
    public static BlockError Apply(Qcow2Driver driver, string idOrName)
    {
        var snapshot = driver.Snapshots.FirstOrDefault(s => s.Id == idOrName) ?? driver.Snapshots.FirstOrDefault(s => s.Name == idOrName)
            ?? throw new BlockOperationException($"Snapshot '{idOrName}' not found");
        if (driver.Node.ReadOnly)
        {
            throw new BlockOperationException("Cannot apply a snapshot to a read-only image");
        }

        if (snapshot.DiskSize is { } diskSize && (long)diskSize != driver.Length)
        {
            throw new BlockOperationException($"Snapshot '{idOrName}' has a disk size of {diskSize} bytes, the image {driver.Length}: applying it would need a resize, which is not supported");
        }

        lock (driver.MetadataLock)
        {
            return Qcow2SnapshotApplier.Apply(driver, snapshot);
        }
    }

    /// <summary>Deletes the internal snapshot with this ID or name (<c>img snapshot -d</c>). Throws <see cref="BlockOperationException"/> when there is none or the node is read-only.</summary>
    public static BlockError Delete(Qcow2Driver driver, string idOrName)
    {
        var snapshot = driver.Snapshots.FirstOrDefault(s => s.Id == idOrName) ?? driver.Snapshots.FirstOrDefault(s => s.Name == idOrName)
            ?? throw new BlockOperationException($"Snapshot '{idOrName}' not found");
        if (driver.Node.ReadOnly)
        {
            throw new BlockOperationException("Cannot delete a snapshot of a read-only image");
        }

        lock (driver.MetadataLock)
        {
            return RefreshSnapshots(driver, Qcow2SnapshotDeleter.Delete(driver, snapshot));
        }
    }

    /// <summary>
    /// After the snapshot table was rewritten: the header and the snapshot list are read again and the
    /// snapshot metadata recorded again for the overlap checks (the image keeps being used). A
    /// table that no longer reads back marks the image corrupt.
    /// </summary>
    private static BlockError RefreshSnapshots(Qcow2Driver driver, BlockError result)
    {
        try
        {
            driver.ReloadHeader();
            var layout = driver.Layout;
            layout.FileLength = driver.FileNode.Length;
            layout.L1Offset = driver.Map.L1Offset;
            layout.L1Bytes = driver.Map.L1.Count * 8L;
            layout.ForgetSnapshots();
            driver.SetSnapshots(Qcow2KeptMetadata.ReadSnapshots(driver.Header, driver.Io, layout));
            return result;
        }
        catch (BlockOperationException e)
        {
            return driver.Corrupt($"The rewritten snapshot table cannot be read back: {e.Message}");
        }
    }
}
