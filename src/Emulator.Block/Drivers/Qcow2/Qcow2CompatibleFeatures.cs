namespace Emulator.Block.Drivers.Qcow2;

/// <summary>qcow2 header bytes 80–87 (version 3): features an implementation may ignore.</summary>
[Flags]
internal enum Qcow2CompatibleFeatures : ulong
{
    None = 0,

    /// <summary>Bit 0: refcount updates may be delayed; the dirty bit guards them.</summary>
    LazyRefcounts = 1UL << 0,
}
