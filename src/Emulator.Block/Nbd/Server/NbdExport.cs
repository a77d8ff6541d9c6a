using Emulator.Block.Graph;

namespace Emulator.Block.Nbd.Server;

/// <summary>One export of an NBD server: a name, the node it serves and whether clients may write.</summary>
public sealed class NbdExport
{
    /// <summary>An export of <paramref name="node"/> under <paramref name="name"/>; <paramref name="writable"/> is ignored for a read-only node.</summary>
    /// <exception cref="ArgumentException">The name is longer than 4096 UTF-8 bytes.</exception>
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

    /// <summary>The export name clients ask for (UTF-8, at most 4096 bytes; empty is the default export).</summary>
    public string Name { get; }

    /// <summary>The node served; the caller keeps a reference to it while it is exported.</summary>
    public BlockDriverState Node { get; }

    /// <summary>True when clients may write (never for a read-only node).</summary>
    public bool Writable { get; }

    /// <summary>The description clients see in NBD_OPT_LIST/NBD_INFO_DESCRIPTION, or null.</summary>
    public string? Description { get; }

    /// <summary>
    /// Advertise NBD_FLAG_CAN_MULTI_CONN: several clients may use the export at once and see each other's
    /// flushed writes (one node serves them all). QEMU 7.2 sets it whenever its server takes more than one
    /// connection (qemu-nbd <c>-e N</c> with N != 1, nbd-server-start's max-connections != 1), read-only or not.
    /// </summary>
    public bool MultiConn { get; init; }

    /// <summary>
    /// The export's transmission flags, QEMU 7.2's set: FLUSH, FUA and CACHE always (a flush or a prefetch is
    /// harmless on a read-only export), TRIM, WRITE_ZEROES and FAST_ZERO when writable.
    /// </summary>
    internal NbdTransmissionFlags Flags =>
        NbdTransmissionFlags.HasFlags | NbdTransmissionFlags.SendFlush | NbdTransmissionFlags.SendFua | NbdTransmissionFlags.SendCache
        | (Writable ? NbdTransmissionFlags.SendTrim | NbdTransmissionFlags.SendWriteZeroes | NbdTransmissionFlags.SendFastZero : NbdTransmissionFlags.ReadOnly)
        | NbdTransmissionFlags.SendDf
        | (MultiConn ? NbdTransmissionFlags.CanMultiConn : NbdTransmissionFlags.None);
}
