namespace Emulator.Testing.Qos;

/// <summary>
/// One physical region descriptor of a bus-master IDE transfer (SFF-8038i; PIIX3 datasheet 2.7):
/// <paramref name="Address"/> and <paramref name="Length"/> bytes (1-65536; 65536 is written as 0), and
/// whether it is the last of the table.
/// </summary>
/// <param name="Address">Guest physical address of the region (below 4 GiB).</param>
/// <param name="Length">Bytes in the region, 1 to 65536.</param>
/// <param name="EndOfTable">True for the table's last entry (EOT).</param>
public readonly record struct PrdEntry(uint Address, int Length, bool EndOfTable = false)
{
    /// <summary>The size of one descriptor in guest memory.</summary>
    public const int Size = 8;

    /// <summary>Bit 31 of the second dword: end of table.</summary>
    public const uint EndOfTableBit = 0x8000_0000;

    /// <summary>The longest region a descriptor describes (its 16-bit count of 0).</summary>
    public const int MaxLength = 0x1_0000;
}
