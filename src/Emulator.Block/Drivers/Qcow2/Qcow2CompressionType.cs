namespace Emulator.Block.Drivers.Qcow2;

/// <summary>qcow2 header byte 104 (qcow2.txt, "compression type"): how compressed clusters are encoded.</summary>
internal enum Qcow2CompressionType : byte
{
    /// <summary>Raw deflate (RFC 1951) without a zlib header; the default, and the only type of version 2 images.</summary>
    Zlib = 0,

    /// <summary>One or more zstd frames (RFC 8878); needs incompatible feature bit 3.</summary>
    Zstd = 1,
}
