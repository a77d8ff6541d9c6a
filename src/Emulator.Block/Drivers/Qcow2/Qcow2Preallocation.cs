namespace Emulator.Block.Drivers.Qcow2;

/// <summary>The preallocation modes of <c>img create</c> (QEMU's preallocation=off|metadata|full).</summary>
internal enum Qcow2Preallocation : byte
{
    Off,

    /// <summary>Every L2 table and data cluster is allocated (the data reads as zeroes from the sparse file).</summary>
    Metadata,

    /// <summary>As metadata, and the data clusters are written with zeroes on the host.</summary>
    Full,
}
