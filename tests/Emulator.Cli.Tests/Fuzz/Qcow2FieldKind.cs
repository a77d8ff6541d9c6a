namespace Emulator.Cli.Tests.Fuzz;

/// <summary>What a field of a qcow2 image means, which decides the hostile values <see cref="Qcow2Mutator"/> tries in it.</summary>
internal enum Qcow2FieldKind
{
    /// <summary>A host file offset (table, cluster, name, directory); big-endian, 8 or 4 bytes wide.</summary>
    Offset,

    /// <summary>A count or size (entries, clusters, bytes, bits).</summary>
    Count,

    /// <summary>Feature bits, flags, version, type codes.</summary>
    Flags,

    /// <summary>An L1, L2 (standard or compressed), refcount table or bitmap table entry: flag bits around an offset.</summary>
    Entry,

    /// <summary>Bytes with no structure of their own (names, extension payloads, refcounts narrower than a byte).</summary>
    Bytes,
}
