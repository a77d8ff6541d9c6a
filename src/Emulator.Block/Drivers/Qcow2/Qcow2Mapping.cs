namespace Emulator.Block.Drivers.Qcow2;

/// <summary>The decoded L2 entry of one guest cluster.</summary>
/// <param name="Kind">What the cluster maps to.</param>
/// <param name="HostOffset">The host cluster (normal, zero with preallocation) or the byte offset of compressed data.</param>
/// <param name="CompressedLength">Bytes of compressed data that may be read from <paramref name="HostOffset"/>.</param>
/// <param name="Copied">The entry's COPIED flag: the host cluster may be written in place.</param>
internal readonly record struct Qcow2Mapping(Qcow2ClusterKind Kind, long HostOffset, int CompressedLength, bool Copied)
{
    public static Qcow2Mapping Unallocated => default;
}
