using Emulator.Machine.Bus;
using Emulator.Machine.Interrupts;

namespace Emulator.Machine.Acpi;

/// <summary>
/// The PIIX4 PM general-purpose event block GPE0 as QEMU's pc places it (hw/acpi/piix4.c GPE_BASE
/// 0xAFE0, GPE_LEN 4; ACPI 6.4 section 4.8.5.1): two status bytes (write one to clear) then two
/// enable bytes. SCI (ISA IRQ 9, level) is asserted while any enabled status bit is set.
/// Limitations: no PM1 event/control block, so the SCI only ever comes from GPE0.
/// </summary>
internal sealed class AcpiGpeBlock : IPortDevice
{
    /// <summary>GPE0_BLK in QEMU's FADT for pc.</summary>
    public const ushort BasePort = 0xAFE0;

    /// <summary>GPE0_BLK_LEN: status half then enable half.</summary>
    public const int Length = 4;

    /// <summary>SCI_INT in QEMU's FADT for pc.</summary>
    public const int SciIrq = 9;

    private const int HalfLength = Length / 2;
    private const int ByteBits = 8;

    private readonly IIrqLine _sci;

    public AcpiGpeBlock(IIrqLine sci)
    {
        ArgumentNullException.ThrowIfNull(sci);
        _sci = sci;
    }

    public AcpiGpeBits Status { get; private set; }

    public AcpiGpeBits Enable { get; private set; }

    /// <summary>Whether SCI is asserted now.</summary>
    public bool SciAsserted => (Status & Enable) != 0;

    public void RegisterPorts(IoPortBus bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.Register(this, BasePort, Length);
    }

    /// <summary>Sets status bits (a hardware event) and re-evaluates SCI.</summary>
    public void Signal(AcpiGpeBits bits)
    {
        Status |= bits;
        UpdateSci();
    }

    /// <summary>Machine reset: every status and enable bit clear, SCI low.</summary>
    public void Reset()
    {
        Status = AcpiGpeBits.None;
        Enable = AcpiGpeBits.None;
        UpdateSci();
    }

    public uint Read(ushort port, PortWidth width)
    {
        var index = port - BasePort;
        var register = index < HalfLength ? (ushort)Status : (ushort)Enable;
        return (uint)(register >> (ByteBits * (index % HalfLength))) & byte.MaxValue;
    }

    public void Write(ushort port, PortWidth width, uint value)
    {
        var index = port - BasePort;
        var bits = (AcpiGpeBits)((value & byte.MaxValue) << (ByteBits * (index % HalfLength)));
        var laneMask = (AcpiGpeBits)(byte.MaxValue << (ByteBits * (index % HalfLength)));
        if (index < HalfLength)
        {
            Status &= ~bits;
        }
        else
        {
            Enable = (Enable & ~laneMask) | bits;
        }

        UpdateSci();
    }

    private void UpdateSci()
    {
        if (SciAsserted)
        {
            _sci.Raise();
        }
        else
        {
            _sci.Lower();
        }
    }
}
