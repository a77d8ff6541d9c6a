using Emulator.Machine.Bus;

namespace Emulator.Machine.Pci;

/// <summary>
/// Intel 82371SB PIIX3 function 0, the PCI-to-ISA bridge, at 00:01.0 (PIIX3 datasheet 290550,
/// section 2.2): vendor 8086, device 7000, class 06 01 00, header type 0x80 (multi-function: the
/// IDE controller is function 1). The PIRQ route control registers 0x60-0x63 (PIRQA#-PIRQD# to an
/// ISA IRQ; bit 7 disables routing; reset value 0x80) are writable and drive
/// <see cref="PciInterruptRouter"/>. Command and status and the other PIIX3 registers (IORT, XBCS, TOM,
/// MBIRQ0, MBDMA, PCSC) start at their datasheet reset values and are stored only.
/// </summary>
internal sealed class Piix3IsaBridge : PciFunction
{
    public const ushort Piix3IsaDeviceId = 0x7000;
    public const int SlotDevice = 1;
    public const int SlotFunction = 0;
    public const int PirqCount = 4;

    private const uint IsaBridgeClass = 0x06_01_00;
    private const byte MultiFunctionHeader = 0x80;
    private const int PirqRouteBase = 0x60;
    private const byte RoutingDisabled = 0x80;
    private const byte IrqMask = 0x0F;
    private const byte PirqWritable = RoutingDisabled | IrqMask;

    /// <summary>IRQs the PIIX3 refuses as PIRQ targets (datasheet, PIRQRC): 0, 1, 2, 8 and 13 are reserved.</summary>
    private const ushort ReservedIrqs = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 8) | (1 << 13);

    /// <summary>
    /// Reset values of stored-only registers (PIIX3 datasheet section 2.2, as QEMU's piix3 reset sets them):
    /// IORT 0x4C, XBCS 0x4E, TOM 0x69, MBIRQ0 0x70, MBDMA 0x76/0x77, PCSC 0x78.
    /// </summary>
    private static readonly (int Offset, byte Value)[] StoredDefaults =
    [
        (0x4C, 0x4D), (0x4E, 0x03), (0x69, 0x02), (0x70, 0x80), (0x76, 0x0C), (0x77, 0x0C), (0x78, 0x02),
    ];

    /// <summary>PCICMD after reset: I/O, memory and bus master enabled; PCISTS: DEVSEL medium.</summary>
    private const ushort CommandDefault = (ushort)(PciCommand.IoSpace | PciCommand.MemorySpace | PciCommand.BusMaster);
    private const ushort StatusDefault = (ushort)PciStatus.DevselMedium;
    private const int ByteBits = 8;

    public Piix3IsaBridge()
        : base(I440fxHostBridge.IntelVendorId, Piix3IsaDeviceId, IsaBridgeClass, headerType: MultiFunctionHeader)
    {
        for (var i = 0; i < PirqCount; i++)
        {
            SetConfigByte(PirqRouteBase + i, RoutingDisabled);
            SetWritable(PirqRouteBase + i, PirqWritable);
        }

        foreach (var (offset, value) in StoredDefaults)
        {
            SetConfigByte(offset, value);
            SetWritable(offset, byte.MaxValue);
        }

        SetConfigByte((int)PciConfigRegister.Command, (byte)CommandDefault);
        SetConfigByte((int)PciConfigRegister.Status + 1, StatusDefault >> ByteBits);
    }

    /// <summary>Raised after a guest write to a PIRQ route register.</summary>
    public event Action? PirqRoutingChanged;

    /// <summary>The ISA IRQ PIRQ <paramref name="pirq"/> (0 = PIRQA#) is routed to, or null when disabled or reserved.</summary>
    public int? GetPirqRoute(int pirq)
    {
        var value = GetConfigByte(PirqRouteBase + pirq);
        var irq = value & IrqMask;
        if ((value & RoutingDisabled) != 0 || (ReservedIrqs & (1 << irq)) != 0)
        {
            return null;
        }

        return irq;
    }

    /// <summary>The PIRQ routes are back to "disabled": the router re-reads them.</summary>
    protected override void OnReset() => PirqRoutingChanged?.Invoke();

    protected override void OnConfigWritten(int offset, PortWidth width, uint value)
    {
        if (offset < PirqRouteBase + PirqCount && offset + (int)width > PirqRouteBase)
        {
            PirqRoutingChanged?.Invoke();
        }
    }
}
