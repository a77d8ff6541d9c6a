using Emulator.Machine.Bus;
using Emulator.Machine.Pci;
using Emulator.Machine.Timers;

namespace Emulator.Machine.Acpi;

/// <summary>
/// Intel 82371AB PIIX4 function 3, power management, at 00:01.3 as on QEMU's pc (8086:7113 rev 03,
/// class 06 80 00, INTA#; PIIX4 datasheet 290562 section 7): the PMBA register (40h, I/O base of the
/// PM block, bit 0 fixed) and PMREGMISC (80h bit 0, PM I/O enable) place the ACPI fixed registers —
/// PM1 status and enable (+0, +2; status write-one-to-clear), PM1 control (+4; SLP_EN with SLP_TYP 0
/// powers the machine off, as QEMU's DSDT describes S5) and the 24-bit PM timer at 3.579545 MHz of
/// virtual time (+8; TMR_STS latched each time bit 23 toggles, as QEMU does).
/// Limitations: the PM block is decoded only at 0600h-063Fh (where SeaBIOS and QEMU put it); a PMBA
/// elsewhere leaves it unreachable. PM1 events raise no SCI (GPE0 has its own block), there is no
/// SMBus, APM port or sleep state other than soft-off.
/// </summary>
internal sealed class Piix4PowerManagement : PciFunction, IPortDevice
{
    public const ushort Piix4PmDeviceId = 0x7113;
    public const int SlotDevice = 1;
    public const int SlotFunction = 3;

    /// <summary>Where the PM block decodes (SeaBIOS's PORT_ACPI_PM_BASE).</summary>
    public const ushort PmBase = 0x600;

    /// <summary>The PM block's size (PMBA bits 15:6).</summary>
    public const int PmLength = 0x40;

    public const long TimerFrequencyHz = 3_579_545;

    private const uint PowerManagementClass = 0x06_80_00;
    private const byte Revision = 0x03;
    private const byte InterruptPinA = 1;
    private const int PmbaOffset = 0x40;
    private const int PmRegMiscOffset = 0x80;
    private const byte PmIoEnable = 0x01;
    private const byte PmbaFixedIoBit = 0x01;
    private const byte PmbaLowWritable = 0xC0;
    private const ushort StatusDefault = (ushort)(PciStatus.DevselMedium | PciStatus.FastBackToBackCapable);
    private const int ByteBits = 8;
    private const int Pm1Status = 0;
    private const int Pm1Enable = 2;
    private const int Pm1Control = 4;
    private const int PmTimer = 8;
    private const ushort TimerStatus = 0x0001;
    private const ushort SleepEnable = 0x2000;
    private const int SleepTypeShift = 10;
    private const ushort SleepTypeMask = 0x7;
    private const ushort SoftOff = 0;
    private const uint TimerMask = 0x00FF_FFFF;
    private const long TimerHalfPeriod = 1L << 23;

    private readonly VirtualClock _clock;
    private readonly Action _powerOff;
    private ushort _status;
    private ushort _enable;
    private ushort _control;
    private long _overflowTick;

    /// <param name="clock">Drives the PM timer.</param>
    /// <param name="powerOff">Called when the guest enters soft-off (S5).</param>
    public Piix4PowerManagement(VirtualClock clock, Action powerOff)
        : base(I440fxHostBridge.IntelVendorId, Piix4PmDeviceId, PowerManagementClass, Revision)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(powerOff);
        _clock = clock;
        _powerOff = powerOff;
        SetInterruptPin(InterruptPinA);
        SetConfigByte((int)PciConfigRegister.Status, (byte)(StatusDefault & byte.MaxValue));
        SetConfigByte((int)PciConfigRegister.Status + 1, StatusDefault >> ByteBits);
        SetConfigByte(PmbaOffset, PmbaFixedIoBit);
        SetWritable(PmbaOffset, PmbaLowWritable);
        SetWritable(PmbaOffset + 1, byte.MaxValue);
        SetWritable(PmRegMiscOffset, PmIoEnable);
    }

    /// <summary>Whether the guest enabled the PM block at <see cref="PmBase"/>.</summary>
    public bool PmIoDecoded =>
        (GetConfigByte(PmRegMiscOffset) & PmIoEnable) != 0
        && ((GetConfigByte(PmbaOffset) & PmbaLowWritable) | (GetConfigByte(PmbaOffset + 1) << ByteBits)) == PmBase;

    public void RegisterPorts(IoPortBus bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.Register(this, PmBase, PmLength, PortWidths.All);
    }

    public uint Read(ushort port, PortWidth width)
    {
        if (!PmIoDecoded)
        {
            return uint.MaxValue;
        }

        var offset = port - PmBase;
        return offset switch
        {
            Pm1Status => ReadStatus(),
            Pm1Enable => _enable,
            Pm1Control => _control,
            PmTimer => (uint)(TimerTicks() & TimerMask),
            _ => 0,
        };
    }

    public void Write(ushort port, PortWidth width, uint value)
    {
        if (!PmIoDecoded)
        {
            return;
        }

        switch (port - PmBase)
        {
            case Pm1Status:
                WriteStatus((ushort)value);
                break;
            case Pm1Enable:
                _enable = (ushort)value;
                break;
            case Pm1Control:
                WriteControl((ushort)value);
                break;
        }
    }

    protected override void OnReset()
    {
        _status = 0;
        _enable = 0;
        _control = 0;
        _overflowTick = 0;
    }

    private long TimerTicks() => (long)((UInt128)(ulong)_clock.PreciseNow * TimerFrequencyHz / VirtualClock.NanosecondsPerSecond);

    private ushort ReadStatus()
    {
        if (TimerTicks() >= _overflowTick)
        {
            _status |= TimerStatus;
        }

        return _status;
    }

    private void WriteStatus(ushort value)
    {
        if ((ReadStatus() & value & TimerStatus) != 0)
        {
            // The next time bit 23 of the timer changes.
            _overflowTick = (TimerTicks() + TimerHalfPeriod) & ~(TimerHalfPeriod - 1);
        }

        _status &= (ushort)~value;
    }

    private void WriteControl(ushort value)
    {
        _control = (ushort)(value & ~SleepEnable);
        if ((value & SleepEnable) != 0 && ((value >> SleepTypeShift) & SleepTypeMask) == SoftOff)
        {
            _powerOff();
        }
    }
}
