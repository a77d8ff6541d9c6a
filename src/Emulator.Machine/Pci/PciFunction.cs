using System.Numerics;
using Emulator.Machine.Bus;

namespace Emulator.Machine.Pci;

/// <summary>
/// One PCI function's configuration space (PCI Local Bus Specification 3.0, chapter 6): 256
/// bytes with a per-byte writable mask and write-one-to-clear mask, so read-only identification
/// registers stay fixed whatever the guest writes. Derived devices declare BARs with
/// <see cref="AddIoBar"/>/<see cref="AddMemoryBar"/>: the BAR's writable mask drops the low
/// size bits, so writing all ones reads back the size mask (size probing) with the read-only type
/// bits. After any write to the command register or a BAR the function recomputes where each BAR
/// decodes (I/O and memory enables honoured, address 0 and ranges running off the top treated as
/// off) and reports changes through <see cref="OnBarMapped"/> and the bus, which routes I/O BARs
/// through its <see cref="PciIoWindow"/> and announces memory BARs to the machine.
/// Capabilities are linked with <see cref="AddCapability"/>. Accesses reach I/O BARs through
/// <see cref="IoRead"/>/<see cref="IoWrite"/> and memory BARs through
/// <see cref="MemoryRead"/>/<see cref="MemoryWrite"/>.
/// Limitations: 64-bit memory BARs and expansion ROM BARs are not supported.
/// </summary>
public class PciFunction
{
    /// <summary>Bytes of configuration space (the conventional 256; no extended space).</summary>
    public const int ConfigSpaceSize = 256;
    /// <summary>Base address registers a type 0 header has.</summary>
    public const int BarCount = 6;

    private const byte MultiFunctionBit = 0x80;
    private const uint IoBarFlag = 0x01;
    private const uint IoBarFlagBits = 0x03;
    private const uint MemoryBarFlagBits = 0x0F;
    private const uint PrefetchableBit = 0x08;
    private const uint MinimumIoBarSize = 4;
    private const uint MinimumMemoryBarSize = 16;
    private const ulong IoSpaceEnd = 0x10000;
    private const ulong MemorySpaceEnd = 0x1_0000_0000;
    private const int CapabilityAlignment = 4;
    private const int ByteBits = 8;
    private const int BarBytes = 4;

    private readonly byte[] _config = new byte[ConfigSpaceSize];
    private readonly byte[] _writable = new byte[ConfigSpaceSize];
    private readonly byte[] _writeOneToClear = new byte[ConfigSpaceSize];
    private readonly PciBar?[] _bars = new PciBar?[BarCount];
    private byte[]? _powerOn;
    private int _nextCapability = (int)PciConfigRegister.DeviceSpecific;

    /// <param name="vendorId">Vendor ID (offset 0x00).</param>
    /// <param name="deviceId">Device ID (offset 0x02).</param>
    /// <param name="classCode">Base class, sub-class and programming interface as 0xBBSSPP.</param>
    /// <param name="revision">Revision ID (offset 0x08).</param>
    /// <param name="headerType">Header type (offset 0x0E), bit 7 for a multi-function device.</param>
    public PciFunction(ushort vendorId, ushort deviceId, uint classCode, byte revision = 0, byte headerType = 0)
    {
        SetWord(PciConfigRegister.VendorId, vendorId);
        SetWord(PciConfigRegister.DeviceId, deviceId);
        _config[(int)PciConfigRegister.RevisionId] = revision;
        _config[(int)PciConfigRegister.ProgrammingInterface] = (byte)classCode;
        _config[(int)PciConfigRegister.SubClass] = (byte)(classCode >> ByteBits);
        _config[(int)PciConfigRegister.BaseClass] = (byte)(classCode >> (2 * ByteBits));
        _config[(int)PciConfigRegister.HeaderType] = headerType;
        SetWritableWord(PciConfigRegister.Command, (ushort)PciCommand.Writable);
        SetWriteOneToClearWord(PciConfigRegister.Status, (ushort)PciStatus.WriteOneToClear);
        _writable[(int)PciConfigRegister.CacheLineSize] = byte.MaxValue;
        _writable[(int)PciConfigRegister.LatencyTimer] = byte.MaxValue;
        _writable[(int)PciConfigRegister.InterruptLine] = byte.MaxValue;
    }

    /// <summary>The read-only vendor ID (offset 0x00).</summary>
    public ushort VendorId => GetWord(PciConfigRegister.VendorId);

    /// <summary>The read-only device ID (offset 0x02).</summary>
    public ushort DeviceId => GetWord(PciConfigRegister.DeviceId);

    /// <summary>True when header type bit 7 says the device has functions beyond 0.</summary>
    public bool IsMultiFunction => (_config[(int)PciConfigRegister.HeaderType] & MultiFunctionBit) != 0;

    /// <summary>
    /// The command register as the guest last wrote it; devices check <see cref="PciCommand.BusMaster"/> before DMA.
    /// </summary>
    public PciCommand Command => (PciCommand)GetWord(PciConfigRegister.Command);

    /// <summary>The interrupt line register the firmware wrote (offset 0x3C).</summary>
    public byte InterruptLine => _config[(int)PciConfigRegister.InterruptLine];

    /// <summary>INTA# = 1 ... INTD# = 4, 0 for none (offset 0x3D).</summary>
    public byte InterruptPin => _config[(int)PciConfigRegister.InterruptPin];

    /// <summary>The bus this function is registered on, once registered.</summary>
    public PciBus? Bus { get; internal set; }

    /// <summary>The device number on the bus (0-31), set when the function is registered.</summary>
    public int Device { get; internal set; }

    /// <summary>The function number (0-7), set when the function is registered.</summary>
    public int Function { get; internal set; }

    /// <summary>BAR <paramref name="index"/> (0-5) if the function declared one, else null.</summary>
    public PciBar? GetBar(int index) => _bars[index];

    /// <summary>Configuration read of <paramref name="width"/> bytes at <paramref name="offset"/>; bytes past 0xFF read as 0xFF.</summary>
    public uint ReadConfig(int offset, PortWidth width)
    {
        BeforeConfigRead(offset, width);
        uint value = 0;
        for (var i = (int)width - 1; i >= 0; i--)
        {
            var at = offset + i;
            value = (value << ByteBits) | (at < ConfigSpaceSize ? _config[at] : byte.MaxValue);
        }

        return value;
    }

    /// <summary>Configuration write honouring the writable and write-one-to-clear masks.</summary>
    public void WriteConfig(int offset, PortWidth width, uint value)
    {
        for (var i = 0; i < (int)width; i++)
        {
            var at = offset + i;
            if (at >= ConfigSpaceSize)
            {
                break;
            }

            var b = (byte)(value >> (ByteBits * i));
            var keep = (byte)(_config[at] & ~_writable[at] & ~(b & _writeOneToClear[at]));
            _config[at] = (byte)(keep | (b & _writable[at]));
        }

        var end = offset + (int)width;
        if (end > (int)PciConfigRegister.Command && offset <= (int)PciConfigRegister.Bar5End)
        {
            UpdateBarMappings();
        }

        OnConfigWritten(offset, width, value);
    }

    /// <summary>
    /// PCI reset (RST#): every guest-writable and write-one-to-clear bit goes back to the value it had
    /// when the function was placed on the bus — command and status, cache line, latency, interrupt
    /// line, BARs (so every BAR stops decoding) and the device's own writable registers — then
    /// <see cref="OnReset"/> lets the device reset what lies behind them. Read-only bits are the
    /// device's and stay.
    /// </summary>
    public void Reset()
    {
        if (_powerOn is { } powerOn)
        {
            for (var i = 0; i < ConfigSpaceSize; i++)
            {
                var guestBits = (byte)(_writable[i] | _writeOneToClear[i]);
                _config[i] = (byte)((_config[i] & ~guestBits) | (powerOn[i] & guestBits));
            }
        }

        UpdateBarMappings();
        OnReset();
    }

    /// <summary>Records the configuration space as it is now as the function's power-on state (the bus does it on placement).</summary>
    internal void CapturePowerOnState() => _powerOn = (byte[])_config.Clone();

    /// <summary>Access to an I/O BAR: <paramref name="offset"/> is relative to the BAR's base.</summary>
    public virtual uint IoRead(int bar, int offset, PortWidth width) => uint.MaxValue;

    /// <summary>Write to an I/O BAR: <paramref name="offset"/> from the BAR's base; the default drops it.</summary>
    public virtual void IoWrite(int bar, int offset, PortWidth width, uint value)
    {
    }

    /// <summary>Access to a memory BAR: <paramref name="offset"/> is relative to the BAR's base, <paramref name="size"/> in bytes.</summary>
    public virtual ulong MemoryRead(int bar, ulong offset, int size) => ulong.MaxValue;

    /// <summary>
    /// Write of <paramref name="size"/> bytes to a memory BAR at <paramref name="offset"/> from its base; the default
    /// drops it.
    /// </summary>
    public virtual void MemoryWrite(int bar, ulong offset, int size, ulong value)
    {
    }

    /// <summary>Called when BAR <paramref name="bar"/> starts decoding at <paramref name="address"/> or stops (null).</summary>
    protected virtual void OnBarMapped(int bar, ulong? address)
    {
    }

    /// <summary>Called after a configuration write has been applied, for device-specific registers.</summary>
    protected virtual void OnConfigWritten(int offset, PortWidth width, uint value)
    {
    }

    /// <summary>Called at the end of <see cref="Reset"/>, after configuration space is back at power-on values.</summary>
    protected virtual void OnReset()
    {
    }

    /// <summary>Called before a configuration read, so a device can refresh dynamic registers.</summary>
    protected virtual void BeforeConfigRead(int offset, PortWidth width)
    {
    }

    /// <summary>Declares I/O BAR <paramref name="index"/> of <paramref name="size"/> bytes (a power of two, at least 4).</summary>
    protected void AddIoBar(int index, uint size) => AddBar(index, PciBarKind.Io, size, prefetchable: false, MinimumIoBarSize);

    /// <summary>Declares 32-bit memory BAR <paramref name="index"/> of <paramref name="size"/> bytes (a power of two, at least 16).</summary>
    protected void AddMemoryBar(int index, uint size, bool prefetchable = false) =>
        AddBar(index, PciBarKind.Memory32, size, prefetchable, MinimumMemoryBarSize);

    /// <summary>Links a capability of <paramref name="length"/> bytes into the list; returns its offset.</summary>
    protected int AddCapability(byte id, int length)
    {
        var offset = _nextCapability;
        if (length < 2 || offset + length > ConfigSpaceSize)
        {
            throw new InvalidOperationException($"Capability 0x{id:X2} of {length} bytes does not fit in configuration space.");
        }

        _nextCapability = (offset + length + CapabilityAlignment - 1) & ~(CapabilityAlignment - 1);
        _config[offset] = id;
        _config[offset + 1] = _config[(int)PciConfigRegister.CapabilitiesPointer];
        _config[(int)PciConfigRegister.CapabilitiesPointer] = (byte)offset;
        SetWord(PciConfigRegister.Status, (ushort)(GetWord(PciConfigRegister.Status) | (ushort)PciStatus.CapabilitiesList));
        return offset;
    }

    /// <summary>Sets the read-only interrupt pin register: 1-4 for INTA#-INTD#, 0 for none.</summary>
    protected void SetInterruptPin(byte pin) => _config[(int)PciConfigRegister.InterruptPin] = pin;

    /// <summary>Sets the read-only subsystem vendor and subsystem IDs (offsets 0x2C and 0x2E).</summary>
    protected void SetSubsystem(ushort vendorId, ushort subsystemId)
    {
        SetWord(PciConfigRegister.SubsystemVendorId, vendorId);
        SetWord(PciConfigRegister.SubsystemId, subsystemId);
    }

    /// <summary>Sets a configuration byte directly (device-side; ignores masks).</summary>
    protected void SetConfigByte(int offset, byte value) => _config[offset] = value;

    /// <summary>A configuration byte as stored, without the read hook <see cref="BeforeConfigRead"/>.</summary>
    protected byte GetConfigByte(int offset) => _config[offset];

    /// <summary>Makes the bits of <paramref name="mask"/> at <paramref name="offset"/> guest-writable.</summary>
    protected void SetWritable(int offset, byte mask) => _writable[offset] = mask;

    /// <summary>
    /// Makes the bits of <paramref name="mask"/> at <paramref name="offset"/> write-one-to-clear: a guest write of 1
    /// clears them, 0 leaves them.
    /// </summary>
    protected void SetWriteOneToClear(int offset, byte mask) => _writeOneToClear[offset] = mask;

    private void AddBar(int index, PciBarKind kind, uint size, bool prefetchable, uint minimum)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, BarCount);
        if (size < minimum || !BitOperations.IsPow2(size))
        {
            throw new ArgumentOutOfRangeException(nameof(size), $"A {kind} BAR must be a power of two of at least {minimum} bytes.");
        }

        _bars[index] = new PciBar(index, kind, size, prefetchable);
        var flags = kind == PciBarKind.Io ? IoBarFlag : (prefetchable ? PrefetchableBit : 0);
        var flagBits = kind == PciBarKind.Io ? IoBarFlagBits : MemoryBarFlagBits;
        var writable = ~(size - 1) & ~flagBits;
        var at = BarOffset(index);
        for (var i = 0; i < BarBytes; i++)
        {
            _config[at + i] = (byte)(flags >> (ByteBits * i));
            _writable[at + i] = (byte)(writable >> (ByteBits * i));
        }
    }

    private void UpdateBarMappings()
    {
        var command = Command;
        foreach (var bar in _bars)
        {
            if (bar is null)
            {
                continue;
            }

            var raw = (uint)ReadRaw(BarOffset(bar.Index));
            ulong? address = null;
            if (bar.Kind == PciBarKind.Io && (command & PciCommand.IoSpace) != 0)
            {
                var start = raw & ~IoBarFlagBits;
                address = start != 0 && start + bar.Size <= IoSpaceEnd ? start : null;
            }
            else if (bar.Kind == PciBarKind.Memory32 && (command & PciCommand.MemorySpace) != 0)
            {
                // A BAR left holding the probe pattern ends at the top of the 32-bit space: treat it as off, as QEMU does.
                var start = raw & ~MemoryBarFlagBits;
                address = start != 0 && start + (ulong)bar.Size < MemorySpaceEnd ? start : null;
            }

            if (address == bar.Address)
            {
                continue;
            }

            var old = bar.Address;
            bar.Address = address;
            Bus?.OnBarChanged(this, bar, old);
            OnBarMapped(bar.Index, address);
        }
    }

    /// <summary>Withdraws every mapped BAR from the bus (the function is being unplugged); config space is kept.</summary>
    internal void UnmapBars()
    {
        foreach (var bar in _bars)
        {
            if (bar?.Address is not { } old)
            {
                continue;
            }

            bar.Address = null;
            Bus?.OnBarChanged(this, bar, old);
            OnBarMapped(bar.Index, null);
        }
    }

    private static int BarOffset(int index) => (int)PciConfigRegister.Bar0 + (index * BarBytes);

    private uint ReadRaw(int offset) =>
        (uint)(_config[offset] | (_config[offset + 1] << ByteBits) | (_config[offset + 2] << (2 * ByteBits)) | (_config[offset + 3] << (3 * ByteBits)));

    private ushort GetWord(PciConfigRegister register) => (ushort)(_config[(int)register] | (_config[(int)register + 1] << ByteBits));

    private void SetWord(PciConfigRegister register, ushort value)
    {
        _config[(int)register] = (byte)value;
        _config[(int)register + 1] = (byte)(value >> ByteBits);
    }

    private void SetWritableWord(PciConfigRegister register, ushort mask)
    {
        _writable[(int)register] = (byte)mask;
        _writable[(int)register + 1] = (byte)(mask >> ByteBits);
    }

    private void SetWriteOneToClearWord(PciConfigRegister register, ushort mask)
    {
        _writeOneToClear[(int)register] = (byte)mask;
        _writeOneToClear[(int)register + 1] = (byte)(mask >> ByteBits);
    }
}
