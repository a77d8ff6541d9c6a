using Emulator.Block.Graph;

namespace Emulator.Block.Nbd.Server;

/// <summary>One export of an NBD server: a name, the node it serves and whether clients may write.</summary>
public sealed class NbdExport
{
    public NbdExport(string name, BlockDriverState node, bool writable, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(node);
        if (System.Text.Encoding.UTF8.GetByteCount(name) > NbdLimits.MaxString)
        {
            throw new ArgumentException($"Export name longer than {NbdLimits.MaxString} bytes", nameof(name));
        }

        Name = name;
        Node = node;
        Writable = writable && !node.ReadOnly;
        Description = description;
    }

    public string Name { get; }

    public BlockDriverState Node { get; }

    public bool Writable { get; }

    public string? Description { get; }

    /// <summary>
    /// Advertise NBD_FLAG_CAN_MULTI_CONN: several clients may use the export at once and see each other's
    /// flushed writes (one node serves them all). QEMU 7.2 sets it whenever its server takes more than one
    /// connection (qemu-nbd <c>-e N</c> with N != 1, nbd-server-start's max-connections != 1), read-only or not.
    /// </summary>
    public bool MultiConn { get; init; }

    /// <summary>
    /// The export's transmission flags, QEMU 7.2's set: FLUSH, FUA and CACHE always (a flush or a prefetch is
    /// harmless on a read-only export), TRIM and WRITE_ZEROES when writable.
    /// </summary>
    public NbdTransmissionFlags Flags =>
        NbdTransmissionFlags.HasFlags | NbdTransmissionFlags.SendFlush | NbdTransmissionFlags.SendFua | NbdTransmissionFlags.SendCache
        | (Writable ? NbdTransmissionFlags.SendTrim | NbdTransmissionFlags.SendWriteZeroes : NbdTransmissionFlags.ReadOnly)
        | NbdTransmissionFlags.SendDf
        | (MultiConn ? NbdTransmissionFlags.CanMultiConn : NbdTransmissionFlags.None);
}
