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

    /// <summary>Several clients may use the export at once and see each other's flushed writes (one node serves them all).</summary>
    public bool MultiConn { get; init; }

    public NbdTransmissionFlags Flags =>
        NbdTransmissionFlags.HasFlags | NbdTransmissionFlags.SendFlush | NbdTransmissionFlags.SendFua
        | (Writable ? NbdTransmissionFlags.SendTrim | NbdTransmissionFlags.SendWriteZeroes : NbdTransmissionFlags.ReadOnly)
        | NbdTransmissionFlags.SendDf
        | (MultiConn || !Writable ? NbdTransmissionFlags.CanMultiConn : NbdTransmissionFlags.None);
}
