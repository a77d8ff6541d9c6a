using Emulator.Machine.Bus;
using Emulator.Machine.Memory;

namespace Emulator.Machine.Pci;

/// <summary>
/// Intel 82441FX PMC, the i440FX host bridge, at 00:00.0 (Intel 440FX PCIset datasheet 290549,
/// section 3.2): vendor 8086, device 1237, revision 02, class 06 00 00 (host bridge). The PAM
/// registers 0x59-0x5F (shadow RAM attributes for 0xC0000-0xFFFFF) and SMRAM 0x72 are writable
/// and readable; <see cref="PamChanged"/> tells the memory system when the firmware changes them
/// (and after a reset, which clears them), and <see cref="DecodePam"/> says which segments switch how.
/// Limitations: SMRAM is stored only (no SMM); DRAM row boundary and other memory-controller
/// registers read as zero.
/// </summary>
public sealed class I440fxHostBridge : PciFunction
{
    /// <summary>Intel's PCI vendor ID.</summary>
    public const ushort IntelVendorId = 0x8086;
    /// <summary>The 82441FX PMC's device ID.</summary>
    public const ushort I440fxDeviceId = 0x1237;
    /// <summary>The bridge's PCI device number on bus 0.</summary>
    public const int SlotDevice = 0;
    /// <summary>The bridge's PCI function number.</summary>
    public const int SlotFunction = 0;

    private const uint HostBridgeClass = 0x06_00_00;
    private const byte Revision = 0x02;
    private const int Pam0 = 0x59;

    /// <summary>PAM0-PAM6.</summary>
    public const int PamCount = 7;
    private const int Pam6 = 0x5F;
    private const int Smram = 0x72;

    /// <summary>PAM registers: bits 1-0 and 5-4 (read enable, write enable) of two segments each.</summary>
    private const byte PamWritable = 0x33;

    /// <summary>PAM0's high field covers the 64 KiB BIOS area; its low field is reserved.</summary>
    private const uint BiosAreaStart = 0xF0000;
    private const uint BiosAreaLength = 0x10000;

    /// <summary>PAM1-PAM6 cover 0xC0000-0xEFFFF in 16 KiB segments, two per register (low field first).</summary>
    private const uint SegmentLength = 0x4000;
    private const int HighFieldShift = 4;
    private const byte FieldMask = 0x3;
    private const byte ReadEnable = 0x1;

    /// <summary>SMRAM: D_OPEN, D_CLS, D_LCK, G_SMRAME and the segment field; bit 4 is set by D_LCK only.</summary>
    private const byte SmramWritable = 0x78;
    private const byte SmramDefault = 0x02;

    /// <summary>
    /// The host bridge at power-on: PAM registers 0 (BIOS area reads and writes go to ROM/PCI), SMRAM closed.
    /// </summary>
    public I440fxHostBridge()
        : base(IntelVendorId, I440fxDeviceId, HostBridgeClass, Revision)
    {
        for (var pam = Pam0; pam <= Pam6; pam++)
        {
            SetWritable(pam, PamWritable);
        }

        SetConfigByte(Smram, SmramDefault);
        SetWritable(Smram, SmramWritable);
    }

    /// <summary>(PAM register index 0-6, new value) after a guest write.</summary>
    public event Action<int, byte>? PamChanged;

    /// <summary>PAM register <paramref name="index"/> (0-6, config offsets 0x59-0x5F) as the guest last wrote it.</summary>
    public byte GetPam(int index) => GetConfigByte(Pam0 + index);

    /// <summary>
    /// The shadow-area segments PAM register <paramref name="index"/> (0-6) governs and the access its
    /// <paramref name="value"/> gives each. WE alone maps DRAM read/write as QEMU 7.2 does (its pam.c
    /// has no write-only alias), not the datasheet's reads-from-PCI.
    /// </summary>
    public static IEnumerable<(uint Start, uint Length, ShadowAccess Access)> DecodePam(int index, byte value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, Pam6 - Pam0);
        if (index == 0)
        {
            yield return (BiosAreaStart, BiosAreaLength, Access(value >> HighFieldShift));
            yield break;
        }

        var low = GuestMemory.ShadowAreaStart + ((uint)(index - 1) * 2 * SegmentLength);
        yield return (low, SegmentLength, Access(value));
        yield return (low + SegmentLength, SegmentLength, Access(value >> HighFieldShift));
    }

    private static ShadowAccess Access(int field) => (field & FieldMask) switch
    {
        0 => ShadowAccess.Pci,
        ReadEnable => ShadowAccess.ReadOnly,
        _ => ShadowAccess.ReadWrite,
    };

    /// <summary>A reset clears the PAM registers: the memory system hears each one, as after a guest write.</summary>
    protected override void OnReset()
    {
        for (var pam = Pam0; pam <= Pam6; pam++)
        {
            PamChanged?.Invoke(pam - Pam0, GetConfigByte(pam));
        }
    }

    /// <inheritdoc/>
    protected override void OnConfigWritten(int offset, PortWidth width, uint value)
    {
        for (var at = offset; at < offset + (int)width; at++)
        {
            if (at >= Pam0 && at <= Pam6)
            {
                PamChanged?.Invoke(at - Pam0, GetConfigByte(at));
            }
        }
    }
}
