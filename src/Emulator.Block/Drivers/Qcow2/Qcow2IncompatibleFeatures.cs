namespace Emulator.Block.Drivers.Qcow2;

/// <summary>qcow2 header bytes 72–79 (version 3): features a reader must understand to open the image at all.</summary>
[Flags]
internal enum Qcow2IncompatibleFeatures : ulong
{
    None = 0,

    /// <summary>Bit 0: refcounts may be stale (lazy refcounts); they must be rebuilt before the image is trusted.</summary>
    Dirty = 1UL << 0,

    /// <summary>Bit 1: metadata corruption was detected; the image may be opened read-only only.</summary>
    Corrupt = 1UL << 1,

    /// <summary>Bit 2: guest data lives in an external data file.</summary>
    ExternalDataFile = 1UL << 2,

    /// <summary>Bit 3: the compression type field of the header is meaningful.</summary>
    CompressionType = 1UL << 3,

    /// <summary>Bit 4: L2 entries are 128 bits with subcluster bitmaps.</summary>
    ExtendedL2 = 1UL << 4,

    /// <summary>The bits this driver handles itself.</summary>
    Known = Dirty | Corrupt | ExternalDataFile | CompressionType | ExtendedL2,
}
