namespace Emulator.Machine.Cpu;

/// <summary>
/// The debug registers as a P6 keeps them: DR0–DR3 hold breakpoint addresses, DR6 reports what trapped
/// (bits 4–11 and 16–31 read as one, bit 12 as zero) and DR7 enables breakpoints (bit 10 reads as one,
/// bits 11–15 except GD as zero). Breakpoints themselves are not emulated: an enabled one never fires
/// (docs/cpu-memory-unit.md lists this); kernels save, clear and restore these registers, which works.
/// </summary>
public sealed class DebugRegisters
{
    /// <summary>DR6 after reset, and the bits of it that always read as one.</summary>
    public const uint Dr6Fixed = 0xFFFF_0FF0;

    /// <summary>DR7 after reset, and the bit of it that always reads as one.</summary>
    public const uint Dr7Fixed = 0x0000_0400;

    /// <summary>The DR6 bits a write can change: B0–B3, BD, BS, BT.</summary>
    private const uint Dr6Writable = 0x0000_E00F;

    /// <summary>The DR7 bits a write can change: L0–G3, LE, GE, GD, R/W and LEN of each breakpoint.</summary>
    private const uint Dr7Writable = 0xFFFF_23FF;

    private readonly uint[] _address = new uint[4];

    /// <summary>
    /// DR6, the debug status: which breakpoint conditions fired (B0-B3), BD, BS, BT; reserved bits read as <see
    /// cref="Dr6Fixed"/>.
    /// </summary>
    public uint Dr6 { get; private set; } = Dr6Fixed;

    /// <summary>DR7, the debug control: enable bits and R/W, LEN of each breakpoint; reserved bit 10 reads as one.</summary>
    public uint Dr7 { get; private set; } = Dr7Fixed;

    /// <summary>DR0–DR3.</summary>
    public uint Address(int index) => _address[index];

    /// <summary>Writes DRn (n = 0–3, 6, 7) keeping the fixed bits.</summary>
    public void Write(int index, uint value)
    {
        switch (index)
        {
            case 6:
                Dr6 = (value & Dr6Writable) | Dr6Fixed;
                break;
            case 7:
                Dr7 = (value & Dr7Writable) | Dr7Fixed;
                break;
            default:
                _address[index] = value;
                break;
        }
    }

    /// <summary>Reads DRn (n = 0–3, 6, 7).</summary>
    public uint Read(int index) => index switch
    {
        6 => Dr6,
        7 => Dr7,
        _ => _address[index],
    };

    /// <summary>The power-on and INIT values.</summary>
    public void Reset()
    {
        Array.Clear(_address);
        Dr6 = Dr6Fixed;
        Dr7 = Dr7Fixed;
    }
}
