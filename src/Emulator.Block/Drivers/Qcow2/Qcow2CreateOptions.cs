namespace Emulator.Block.Drivers.Qcow2;

/// <summary>What a new qcow2 image looks like (<c>img create -f qcow2 -o ...</c>).</summary>
internal sealed record Qcow2CreateOptions
{
    public long Size { get; init; }

    public int ClusterSize { get; init; } = 65536;

    /// <summary>2 (compat=0.10) or 3 (compat=1.1).</summary>
    public int Version { get; init; } = 3;

    public int RefcountBits { get; init; } = 16;

    public string? BackingFile { get; init; }

    public string? BackingFormat { get; init; }

    public bool LazyRefcounts { get; init; }

    public Qcow2Preallocation Preallocation { get; init; }

    /// <summary>How compressed clusters are encoded (<c>compression_type=zlib|zstd</c>); zstd needs version 3.</summary>
    public Qcow2CompressionType CompressionType { get; init; }

    /// <summary>128-bit L2 entries with 32 subclusters per cluster (<c>extended_l2=on</c>); needs version 3 and clusters of 16 KiB or more.</summary>
    public bool ExtendedL2 { get; init; }

    /// <summary>An external data file for the guest data (<c>data_file=</c>), created beside the image and named in its header.</summary>
    public string? DataFile { get; init; }

    /// <summary>Keep the data file a consistent raw image (<c>data_file_raw=on</c>; implies metadata preallocation).</summary>
    public bool DataFileRaw { get; init; }
}
