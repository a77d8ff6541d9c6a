using System.Numerics;
using Emulator.Block.Tracing;
using Emulator.Devices.Pci;
using Emulator.Machine.Bus;
using Emulator.Machine.Interrupts;
using Emulator.Machine.Memory;
using Emulator.Machine.Pci;
using static Emulator.Devices.Virtio.VirtioPciLayout;

namespace Emulator.Devices.Virtio;

/// <summary>
/// The virtio-over-PCI transport, transitional (virtio 1.2, section 4.1): the legacy register
/// block in I/O BAR0 (4.1.4.8), the modern common/ISR/notify/device regions in memory BAR4 found
/// through vendor capabilities (4.1.4), and MSI-X with its table in BAR1; INTx (pin A, level,
/// cleared by reading ISR) when MSI-X is off. It owns feature negotiation (FEATURES_OK refused
/// when the driver asks for bits the device did not offer), the status byte and reset (writing 0,
/// or a legacy queue PFN of 0, resets everything), and the split queues. A device built on it
/// supplies its features, its configuration bytes and what a queue notification does; it calls
/// <see cref="NotifyUsed"/> after returning buffers and <see cref="MarkBroken"/> on a malformed
/// queue, which sets NEEDS_RESET and stops all processing until reset (2.1.2).
/// Limitations: no packed rings; BAR4 is 32-bit; the PCI_CFG window reaches BAR4 only.
/// </summary>
public abstract class VirtioPciDevice : PciFunction
{
    private const int LegacyRegisterBytes = (int)VirtioLegacyRegister.DeviceConfigWithMsix;
    private const int ByteBits = 8;
    private const byte InterruptPinA = 1;

    private readonly VirtioFeatures _transportFeatures;
    private readonly int _configSize;
    private readonly int _msixCapability;
    private readonly int _pciCfgCapability;
    private readonly VirtioCommonConfig _common;
    private IIrqLine? _intx;
    private byte _status;

    /// <param name="memory">Guest memory: rings and buffers are reached through its DMA view only.</param>
    /// <param name="deviceId">Transitional PCI device ID (0x1000 + virtio device type - 1 ... e.g. 0x1001 for block).</param>
    /// <param name="subsystemId">Virtio device type (2 = block).</param>
    /// <param name="classCode">PCI class code.</param>
    /// <param name="queueCount">Number of virtqueues.</param>
    /// <param name="queueSize">Maximum size of each queue (a power of two).</param>
    /// <param name="msixVectors">MSI-X vectors; 0 for none (INTx only).</param>
    /// <param name="configSize">Bytes of device-specific configuration.</param>
    private protected VirtioPciDevice(GuestMemory memory, ushort deviceId, ushort subsystemId, uint classCode, int queueCount, ushort queueSize, int msixVectors, int configSize)
        : base(VirtioPciLayout.VendorId, deviceId, classCode)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(queueCount);
        ArgumentOutOfRangeException.ThrowIfNegative(msixVectors);
        if (!BitOperations.IsPow2(queueSize))
        {
            throw new ArgumentOutOfRangeException(nameof(queueSize), "A split virtqueue's size is a power of two.");
        }

        Memory = memory;
        _common = new VirtioCommonConfig(this);
        _configSize = configSize;
        _transportFeatures = VirtioFeatures.NotifyOnEmpty | VirtioFeatures.AnyLayout | VirtioFeatures.IndirectDesc
            | VirtioFeatures.EventIdx | VirtioFeatures.Version1 | VirtioFeatures.RingReset;
        Queues = new Virtqueue[queueCount];
        for (var i = 0; i < queueCount; i++)
        {
            Queues[i] = new Virtqueue(memory, (ulong)memory.RamSize, i, queueSize);
        }

        SetSubsystem(SubsystemVendorId, subsystemId);
        SetInterruptPin(InterruptPinA);
        AddIoBar(LegacyBar, BitOperations.RoundUpToPowerOf2((uint)(LegacyRegisterBytes + configSize)));
        AddMemoryBar(ModernBar, ModernBarSize);
        Msix = new MsixTable(msixVectors, () => Bus?.Msi);
        _msixCapability = -1;
        if (msixVectors > 0)
        {
            AddMemoryBar(MsixBar, MsixBarSize);
            _msixCapability = AddCapability(MsixCapabilityId, MsixCapLength);
            SetConfigWord(_msixCapability + MsixControlField, (ushort)(msixVectors - 1));
            SetConfigDword(_msixCapability + MsixTableField, MsixTableOffset | MsixBar);
            SetConfigDword(_msixCapability + MsixPbaField, MsixPbaOffset | MsixBar);
            SetWritable(_msixCapability + MsixControlField + 1, MsixControlHighWritable);
        }

        AddVirtioCapability(VirtioPciCapType.CommonCfg, CommonOffset, (uint)VirtioCommonRegister.End);
        AddVirtioCapability(VirtioPciCapType.IsrCfg, IsrOffset, 1);
        AddVirtioCapability(VirtioPciCapType.DeviceCfg, DeviceOffset, (uint)configSize);
        AddVirtioCapability(VirtioPciCapType.NotifyCfg, NotifyOffset, NotifyOffMultiplier * (uint)queueCount);
        _pciCfgCapability = AddVirtioCapability(VirtioPciCapType.PciCfg, 0, 0);
        for (var i = CapBarField; i < PciCfgCapLength; i++)
        {
            SetWritable(_pciCfgCapability + i, byte.MaxValue);
        }
    }

    /// <summary>Guest memory as the device's DMA engine sees it.</summary>
    private protected GuestMemory Memory { get; }

    internal Virtqueue[] Queues { get; }

    internal MsixTable Msix { get; }

    /// <summary>The device-specific feature bits offered (without the transport bits).</summary>
    private protected abstract ulong DeviceFeatures { get; }

    /// <summary>Every bit offered to the driver.</summary>
    public ulong OfferedFeatures => DeviceFeatures | (ulong)_transportFeatures;

    /// <summary>The features the driver acknowledged (legacy: as written; modern: once FEATURES_OK stuck).</summary>
    public ulong NegotiatedFeatures { get; internal set; }

    internal VirtioDeviceStatus Status => (VirtioDeviceStatus)_status;

    /// <summary>The ISR status bits (reading the register clears them).</summary>
    internal byte Isr { get; private set; }

    /// <summary>One I/O-trace track per queue, registered by the device model.</summary>
    internal int[] TraceTracks { get; init; } = [];

    internal ushort QueueSelect { get; set; }

    internal ushort ConfigVector { get; set; } = Virtqueue.NoVector;

    internal byte ConfigGeneration { get; private set; }

    internal Virtqueue? SelectedQueue => QueueSelect < Queues.Length ? Queues[QueueSelect] : null;

    internal int LegacyConfigStart => Msix.Enabled ? (int)VirtioLegacyRegister.DeviceConfigWithMsix : (int)VirtioLegacyRegister.DeviceConfig;

    /// <summary>True after a malformed queue: the device processes nothing until the driver resets it.</summary>
    public bool IsBroken { get; private set; }

    /// <summary>The first fault that broke the device, for diagnostics.</summary>
    internal VirtqueueFault BrokenReason { get; private set; }

    private protected bool Has(VirtioFeatures feature) => (NegotiatedFeatures & (ulong)feature) != 0;

    /// <summary>Wires INTA# once the function sits at a bus slot.</summary>
    /// <summary>The function's INTx# line, taken when it is installed.</summary>
    private protected void ConnectInterrupt(IIrqLine intx) => _intx = intx;

    private protected abstract byte ReadDeviceConfig(int offset);

    private protected abstract void WriteDeviceConfig(int offset, byte value);

    /// <summary>The driver notified queue <paramref name="queue"/> (which exists and is enabled; the device is not broken).</summary>
    private protected abstract void OnQueueNotify(int queue);

    /// <summary>The driver reset the device (status 0) or the machine reset: drop in-flight bookkeeping.</summary>
    private protected abstract void OnDeviceReset();

    /// <summary>A single queue was reset through queue_reset: forget its in-flight requests.</summary>
    private protected virtual void OnQueueReset(int queue)
    {
    }

    private protected virtual void OnDriverOk()
    {
    }

    /// <summary>Interrupts the driver for new used entries of <paramref name="queue"/> if it asked for one.</summary>
    internal void NotifyUsed(Virtqueue queue)
    {
        if (!queue.ShouldInterrupt(Has(VirtioFeatures.NotifyOnEmpty)))
        {
            return;
        }

        Isr |= (byte)VirtioIsr.Queue;
        if (IoTrace.Enabled)
        {
            IoTrace.Interrupt(TraceTracks[queue.Index]);
        }

        if (Msix.Enabled)
        {
            Msix.Notify(queue.MsixVector);
        }
        else
        {
            UpdateIntx();
        }
    }

    /// <summary>Configuration changed (resize, NEEDS_RESET): bump the generation and interrupt (ISR = 3 as QEMU does).</summary>
    private protected void NotifyConfigChange()
    {
        ConfigGeneration++;
        if ((_status & (byte)VirtioDeviceStatus.DriverOk) == 0)
        {
            return;
        }

        Isr |= (byte)(VirtioIsr.Queue | VirtioIsr.Config);
        if (Msix.Enabled)
        {
            Msix.Notify(ConfigVector);
        }
        else
        {
            UpdateIntx();
        }
    }

    /// <summary>A malformed queue: NEEDS_RESET (virtio 1.x drivers only, as QEMU) and no more processing until reset.</summary>
    internal void MarkBroken(VirtqueueFault fault)
    {
        if (IsBroken)
        {
            return;
        }

        IsBroken = true;
        BrokenReason = fault;
        if (Has(VirtioFeatures.Version1))
        {
            _status |= (byte)VirtioDeviceStatus.NeedsReset;
            NotifyConfigChange();
        }
    }

    /// <summary>Full device reset (status 0): registers, queues, interrupts, and the device's in-flight state.</summary>
    internal void ResetDevice()
    {
        _status = 0;
        Isr = 0;
        NegotiatedFeatures = 0;
        _common.Reset();
        QueueSelect = 0;
        ConfigVector = Virtqueue.NoVector;
        IsBroken = false;
        BrokenReason = VirtqueueFault.None;
        foreach (var queue in Queues)
        {
            queue.Reset();
        }

        OnDeviceReset();
        UpdateIntx();
    }

    /// <summary>PCI reset (part of every machine reset): the device and its MSI-X state.</summary>
    protected override void OnReset() => ResetFunction();

    /// <summary>Function reset: the device reset plus the function's MSI-X state.</summary>
    private protected void ResetFunction()
    {
        if (_msixCapability >= 0)
        {
            SetConfigByte(_msixCapability + MsixControlField + 1, 0);
        }

        Msix.Reset();
        ResetDevice();
    }

    /// <summary>A guest read of the legacy virtio register block (BAR0): features, queue setup, status, ISR (read-to-clear) and device configuration.</summary>
    /// <param name="bar">The BAR index (the legacy I/O BAR).</param>
    /// <param name="offset">The offset in the register block.</param>
    /// <param name="width">The access width.</param>
    /// <returns>The register value.</returns>
    public override uint IoRead(int bar, int offset, PortWidth width) => VirtioLegacyInterface.Read(this, offset, (int)width);

    /// <summary>A guest write to the legacy virtio register block (BAR0); a queue notify there processes the queue at once.</summary>
    /// <param name="bar">The BAR index (the legacy I/O BAR).</param>
    /// <param name="offset">The offset in the register block.</param>
    /// <param name="width">The access width.</param>
    /// <param name="value">The value written.</param>
    public override void IoWrite(int bar, int offset, PortWidth width, uint value) => VirtioLegacyInterface.Write(this, offset, (int)width, value);

    /// <summary>
    /// A guest read of the modern interface (common configuration, ISR, device configuration, notify area
    /// in the memory BAR) or of the MSI-X table and pending bits. Unimplemented areas read 0.
    /// </summary>
    /// <param name="bar">The BAR index: the modern BAR or the MSI-X BAR.</param>
    /// <param name="offset">The offset in the BAR.</param>
    /// <param name="size">The access size in bytes (1, 2, 4 or 8).</param>
    /// <returns>The value, zero-extended.</returns>
    public override ulong MemoryRead(int bar, ulong offset, int size)
    {
        if (bar == MsixBar)
        {
            return offset >= MsixPbaOffset ? Msix.ReadPending((int)offset - MsixPbaOffset) : Msix.ReadTable((int)offset);
        }

        var region = (int)offset & ~(RegionSize - 1);
        var at = (int)offset & (RegionSize - 1);
        ulong value = 0;
        switch (region)
        {
            case CommonOffset:
                for (var i = size - 1; i >= 0; i--)
                {
                    value = (value << ByteBits) | _common.ReadByte(at + i);
                }

                return value;
            case IsrOffset when at == 0:
                value = Isr;
                ClearIsr();
                return value;
            case DeviceOffset:
                for (var i = size - 1; i >= 0; i--)
                {
                    value = (value << ByteBits) | ReadConfigByte(at + i);
                }

                return value;
            default:
                return 0;
        }
    }

    /// <summary>A guest write to the modern interface or the MSI-X table; writes to read-only or unimplemented areas are ignored.</summary>
    /// <param name="bar">The BAR index: the modern BAR or the MSI-X BAR.</param>
    /// <param name="offset">The offset in the BAR.</param>
    /// <param name="size">The access size in bytes (1, 2, 4 or 8).</param>
    /// <param name="value">The value written.</param>
    public override void MemoryWrite(int bar, ulong offset, int size, ulong value)
    {
        if (bar == MsixBar)
        {
            if (offset < MsixPbaOffset)
            {
                Msix.WriteTable((int)offset, (uint)value);
            }

            return;
        }

        var region = (int)offset & ~(RegionSize - 1);
        var at = (int)offset & (RegionSize - 1);
        switch (region)
        {
            case CommonOffset:
                _common.Write(at, (uint)value);
                break;
            case DeviceOffset:
                for (var i = 0; i < size; i++)
                {
                    WriteConfigByte(at + i, (byte)(value >> (ByteBits * i)));
                }

                break;
            case NotifyOffset when at % NotifyOffMultiplier == 0:
                Notify((ushort)(at / NotifyOffMultiplier));
                break;
        }
    }

    /// <summary>A write to PCI configuration space: a pci_cfg_data write performs the BAR access the capability describes, MSI-X enable/mask follow the capability's control word, and INTx is re-evaluated.</summary>
    /// <param name="offset">The configuration-space offset written.</param>
    /// <param name="width">The access width.</param>
    /// <param name="value">The value written.</param>
    protected override void OnConfigWritten(int offset, PortWidth width, uint value)
    {
        if (TouchesPciCfgData(offset, width) && PciCfgWindow() is { } window)
        {
            MemoryWrite(ModernBar, window.Offset, window.Length, ReadConfigDword(_pciCfgCapability + CapDataField));
        }

        if (_msixCapability >= 0)
        {
            var control = GetConfigByte(_msixCapability + MsixControlField + 1);
            Msix.SetControl((control & MsixEnableBit) != 0, (control & MsixFunctionMaskBit) != 0);
        }

        UpdateIntx();
    }

    /// <summary>A read of pci_cfg_data performs the BAR access the capability describes (4.1.4.9).</summary>
    protected override void BeforeConfigRead(int offset, PortWidth width)
    {
        if (TouchesPciCfgData(offset, width) && PciCfgWindow() is { } window)
        {
            SetConfigDword(_pciCfgCapability + CapDataField, (uint)MemoryRead(ModernBar, window.Offset, window.Length));
        }
    }

    private bool TouchesPciCfgData(int offset, PortWidth width)
    {
        var data = _pciCfgCapability + CapDataField;
        return offset < data + sizeof(uint) && offset + (int)width > data;
    }

    /// <summary>The BAR access the VIRTIO_PCI_CAP_PCI_CFG fields select, if valid: BAR4, length 1, 2 or 4, aligned, inside the BAR.</summary>
    private (ulong Offset, int Length)? PciCfgWindow()
    {
        var bar = GetConfigByte(_pciCfgCapability + CapBarField);
        var offset = ReadConfigDword(_pciCfgCapability + CapOffsetField);
        var length = ReadConfigDword(_pciCfgCapability + CapLengthField);
        var valid = bar == ModernBar && length is 1 or 2 or 4 && offset % length == 0 && offset < ModernBarSize;
        return valid ? (offset, (int)length) : null;
    }

    private uint ReadConfigDword(int offset) =>
        (uint)(GetConfigByte(offset) | (GetConfigByte(offset + 1) << ByteBits) | (GetConfigByte(offset + 2) << (2 * ByteBits)) | (GetConfigByte(offset + 3) << (3 * ByteBits)));

    internal void WriteStatus(byte value, bool legacy)
    {
        if (value == 0)
        {
            ResetDevice();
            return;
        }

        var added = (VirtioDeviceStatus)(value & ~_status);
        if (!legacy && (added & VirtioDeviceStatus.FeaturesOk) != 0)
        {
            var requested = _common.RequestedFeatures;
            if ((requested & ~OfferedFeatures) != 0 || (requested & (ulong)VirtioFeatures.Version1) == 0)
            {
                // Refused: FEATURES_OK does not stick, which is how the driver learns (2.2.2).
                value &= unchecked((byte)~VirtioDeviceStatus.FeaturesOk);
            }
            else
            {
                NegotiatedFeatures = requested;
                ApplyQueueFeatures();
            }
        }

        // NEEDS_RESET is the device's bit; the driver cannot set or clear it.
        _status = (byte)((value & ~(byte)VirtioDeviceStatus.NeedsReset) | (_status & (byte)VirtioDeviceStatus.NeedsReset));
        if ((added & VirtioDeviceStatus.DriverOk) != 0)
        {
            OnDriverOk();
        }
    }

    /// <summary>queue_reset with RING_RESET negotiated: the queue back to its reset state, its in-flight requests forgotten.</summary>
    internal void ResetQueue(Virtqueue queue)
    {
        if (Has(VirtioFeatures.RingReset))
        {
            queue.Reset();
            OnQueueReset(queue.Index);
        }
    }

    internal void Notify(ushort index)
    {
        if (IsBroken || index >= Queues.Length || !Queues[index].Enabled)
        {
            return;
        }

        if (IoTrace.Enabled)
        {
            IoTrace.Doorbell(TraceTracks[index]);
        }

        OnQueueNotify(index);
    }

    internal void ApplyQueueFeatures()
    {
        foreach (var queue in Queues)
        {
            queue.EventIdx = Has(VirtioFeatures.EventIdx);
            queue.IndirectAllowed = Has(VirtioFeatures.IndirectDesc);
        }
    }

    internal byte ReadConfigByte(int offset) => offset < _configSize ? ReadDeviceConfig(offset) : (byte)0;

    internal void WriteConfigByte(int offset, byte value)
    {
        if (offset < _configSize)
        {
            WriteDeviceConfig(offset, value);
        }
    }

    internal void ClearIsr()
    {
        if (IoTrace.Enabled && Isr != 0)
        {
            foreach (var track in TraceTracks)
            {
                IoTrace.Acknowledge(track);
            }
        }

        Isr = 0;
        UpdateIntx();
    }

    private void UpdateIntx()
    {
        var level = Isr != 0 && !Msix.Enabled && (Command & PciCommand.InterruptDisable) == 0;
        if (level)
        {
            _intx?.Raise();
        }
        else
        {
            _intx?.Lower();
        }
    }

    internal ushort CheckVector(ushort vector) => vector < Msix.Vectors ? vector : Virtqueue.NoVector;

    private int AddVirtioCapability(VirtioPciCapType type, int offset, uint length)
    {
        var capLength = type switch
        {
            VirtioPciCapType.NotifyCfg => NotifyCapLength,
            VirtioPciCapType.PciCfg => PciCfgCapLength,
            _ => VirtioCapLength,
        };
        var at = AddCapability(VendorCapabilityId, capLength);
        SetConfigByte(at + CapLenField, (byte)capLength);
        SetConfigByte(at + CapTypeField, (byte)type);
        SetConfigByte(at + CapBarField, ModernBar);
        SetConfigDword(at + CapOffsetField, (uint)offset);
        SetConfigDword(at + CapLengthField, length);
        if (type == VirtioPciCapType.NotifyCfg)
        {
            SetConfigDword(at + CapMultiplierField, NotifyOffMultiplier);
        }

        return at;
    }

    private void SetConfigWord(int offset, ushort value)
    {
        SetConfigByte(offset, (byte)value);
        SetConfigByte(offset + 1, (byte)(value >> ByteBits));
    }

    private void SetConfigDword(int offset, uint value)
    {
        SetConfigWord(offset, (ushort)value);
        SetConfigWord(offset + 2, (ushort)(value >> (2 * ByteBits)));
    }
}
