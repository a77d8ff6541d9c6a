using Emulator.Machine.Bus;

namespace Emulator.Machine.Pci;

/// <summary>
/// Intel 82441FX PMC, the i440FX host bridge, at 00:00.0 (Intel 440FX PCIset datasheet 290549,
/// section 3.2): vendor 8086, device 1237, revision 02, class 06 00 00 (host bridge). The PAM
/// registers 0x59-0x5F (shadow RAM attributes for 0xC0000-0xFFFFF) and SMRAM 0x72 are writable
/// and readable; <see cref="PamChanged"/> tells the memory system when the firmware changes them.
/// Limitations: PAM and SMRAM are stored only — guest memory does not yet switch ROM/RAM on them;
/// DRAM row boundary and other memory-controller registers read as zero.
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
    private const int Pam6 = 0x5F;
    private const int Smram = 0x72;

    /// <summary>PAM registers: bits 1-0 and 5-4 (read enable, write enable) of two segments each.</summary>
    private const byte PamWritable = 0x33;

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
