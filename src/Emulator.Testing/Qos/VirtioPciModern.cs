namespace Emulator.Testing.Qos;

/// <summary>
/// libqos's virtio-pci-modern transport (virtio 1.2 section 4.1.4): the vendor capabilities of a virtio PCI
/// function found in its capability list, the BARs they name mapped, and the common configuration driven
/// as a virtio 1.x driver does: reset, ACKNOWLEDGE and DRIVER, feature negotiation over both 32-bit halves
/// with FEATURES_OK read back, queues set up by descriptor/driver/device address and enabled, notification
/// at queue_notify_off × notify_off_multiplier, the ISR and the device-specific configuration. Works for a
/// transitional function (1af4:1000-103f) beside <see cref="VirtioBlkLegacy"/>'s legacy BAR0, and for a
/// modern-only one (1af4:1040+).
/// </summary>
public sealed class VirtioPciModern
{
    /// <summary>PCI status register and its capabilities-list bit (PCI 3.0 section 6.2.3).</summary>
    public const int StatusOffset = 0x06;

    /// <summary>PCI status: the function has a capability list.</summary>
    public const ushort StatusCapabilityList = 0x0010;

    /// <summary>The capabilities pointer in configuration space.</summary>
    public const int CapabilitiesPointerOffset = 0x34;

    /// <summary>PCI_CAP_ID_VNDR: the id of a virtio capability.</summary>
    public const byte VendorCapabilityId = 0x09;

    /// <summary>virtio_pci_cap.cfg_type values (section 4.1.4).</summary>
    public const byte CommonCfg = 1;

    /// <summary>VIRTIO_PCI_CAP_NOTIFY_CFG.</summary>
    public const byte NotifyCfg = 2;

    /// <summary>VIRTIO_PCI_CAP_ISR_CFG.</summary>
    public const byte IsrCfg = 3;

    /// <summary>VIRTIO_PCI_CAP_DEVICE_CFG.</summary>
    public const byte DeviceCfg = 4;

    /// <summary>VIRTIO_F_VERSION_1: the device (and driver) follow virtio 1.x (section 6).</summary>
    public const int FeatureVersion1 = 32;

    /// <summary>Device status bits (section 2.1).</summary>
    public const byte Acknowledge = 1;

    /// <summary>DRIVER: the guest knows how to drive the device.</summary>
    public const byte Driver = 2;

    /// <summary>DRIVER_OK: the driver is set up and ready.</summary>
    public const byte DriverOk = 4;

    /// <summary>FEATURES_OK: the driver has acknowledged the features it understands; the device keeps it only if it accepts them.</summary>
    public const byte FeaturesOk = 8;

    /// <summary>DEVICE_NEEDS_RESET.</summary>
    public const byte DeviceNeedsReset = 64;

    /// <summary>FAILED.</summary>
    public const byte Failed = 128;

    /// <summary>virtio_pci_common_cfg field offsets (section 4.1.4.3).</summary>
    public const int DeviceFeatureSelect = 0x00;

    /// <summary>device_feature: 32 feature bits of the half device_feature_select picks.</summary>
    public const int DeviceFeature = 0x04;

    /// <summary>driver_feature_select.</summary>
    public const int DriverFeatureSelect = 0x08;

    /// <summary>driver_feature.</summary>
    public const int DriverFeature = 0x0C;

    /// <summary>num_queues.</summary>
    public const int NumQueues = 0x12;

    /// <summary>device_status.</summary>
    public const int DeviceStatus = 0x14;

    /// <summary>config_generation.</summary>
    public const int ConfigGeneration = 0x15;

    /// <summary>queue_select.</summary>
    public const int QueueSelect = 0x16;

    /// <summary>queue_size.</summary>
    public const int QueueSize = 0x18;

    /// <summary>queue_enable.</summary>
    public const int QueueEnable = 0x1C;

    /// <summary>queue_notify_off.</summary>
    public const int QueueNotifyOff = 0x1E;

    /// <summary>queue_desc (le64).</summary>
    public const int QueueDesc = 0x20;

    /// <summary>queue_driver (le64): the available ring.</summary>
    public const int QueueDriver = 0x28;

    /// <summary>queue_device (le64): the used ring.</summary>
    public const int QueueDevice = 0x30;

    private const int CapNextOffset = 1;
    private const int CapTypeOffset = 3;
    private const int CapBarOffset = 4;
    private const int CapRegionOffset = 8;
    private const int CapLengthOffset = 12;
    private const int NotifyMultiplierOffset = 16;
    private const int MaxCapabilities = 48;
    private const byte CapPointerMask = 0xFC;
    private const int HalfBits = 32;

    private readonly PciDevice _device;
    private readonly Dictionary<int, PciBar> _bars = [];
    private Region? _common;
    private Region? _notify;
    private Region? _isr;
    private Region? _deviceConfig;
    private uint _notifyMultiplier;

    /// <summary>A transport over <paramref name="device"/>; nothing is touched before <see cref="Initialize"/>.</summary>
    public VirtioPciModern(PciDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        _device = device;
    }

    /// <summary>The function this transport drives.</summary>
    public PciDevice Device => _device;

    /// <summary>queue_notify_off's multiplier from the notify capability.</summary>
    public uint NotifyOffMultiplier => _notifyMultiplier;

    /// <summary>
    /// Walks the capability list for the common, notify, ISR and device configuration capabilities (the first
    /// of each type, as the spec asks drivers to prefer), maps the BARs they name (each once, through
    /// <see cref="PciDevice.MapBar"/>) and enables decoding and bus mastering. A function without all four
    /// is an <see cref="InvalidOperationException"/>: it has no modern interface.
    /// </summary>
    public void Initialize()
    {
        if ((_device.ConfigReadW(StatusOffset) & StatusCapabilityList) == 0)
        {
            throw new InvalidOperationException($"{_device.VendorId:x4}:{_device.DeviceId:x4} has no capability list");
        }

        var pointer = _device.ConfigReadB(CapabilitiesPointerOffset) & CapPointerMask;
        for (var seen = 0; pointer != 0 && seen < MaxCapabilities; seen++)
        {
            if (_device.ConfigReadB(pointer) == VendorCapabilityId)
            {
                Found(pointer);
            }

            pointer = _device.ConfigReadB(pointer + CapNextOffset) & CapPointerMask;
        }

        if (_common is null || _notify is null || _isr is null || _deviceConfig is null)
        {
            throw new InvalidOperationException($"{_device.VendorId:x4}:{_device.DeviceId:x4} lacks a virtio 1.x capability (common, notify, ISR and device configuration are required)");
        }

        _device.Enable();
    }

    /// <summary>Writes device_status (0 resets the device).</summary>
    public void SetStatus(byte status) => Common.Bar.WriteB(Common.Offset + DeviceStatus, status);

    /// <summary>Reads device_status.</summary>
    public byte GetStatus() => Common.Bar.ReadB(Common.Offset + DeviceStatus);

    /// <summary>All 64 feature bits the device offers (device_feature through both selector values).</summary>
    public ulong ReadDeviceFeatures()
    {
        var bar = Common.Bar;
        bar.WriteL(Common.Offset + DeviceFeatureSelect, 0);
        ulong low = bar.ReadL(Common.Offset + DeviceFeature);
        bar.WriteL(Common.Offset + DeviceFeatureSelect, 1);
        ulong high = bar.ReadL(Common.Offset + DeviceFeature);
        return low | (high << HalfBits);
    }

    /// <summary>
    /// The start of driver initialization (section 3.1.1): reset, ACKNOWLEDGE, DRIVER, <paramref name="features"/>
    /// written to driver_feature, FEATURES_OK set and read back. Returns whether the device kept FEATURES_OK
    /// (it refuses features it did not offer); on false the caller may set FAILED.
    /// </summary>
    public bool NegotiateFeatures(ulong features)
    {
        var bar = Common.Bar;
        SetStatus(0);
        SetStatus(Acknowledge);
        SetStatus(Acknowledge | Driver);
        bar.WriteL(Common.Offset + DriverFeatureSelect, 0);
        bar.WriteL(Common.Offset + DriverFeature, (uint)features);
        bar.WriteL(Common.Offset + DriverFeatureSelect, 1);
        bar.WriteL(Common.Offset + DriverFeature, (uint)(features >> HalfBits));
        SetStatus(Acknowledge | Driver | FeaturesOk);
        return (GetStatus() & FeaturesOk) != 0;
    }

    /// <summary>num_queues: the queues the device has.</summary>
    public int QueueCount => Common.Bar.ReadW(Common.Offset + NumQueues);

    /// <summary>
    /// Selects queue <paramref name="index"/>, allocates a <see cref="Virtqueue"/> of the size the device reports,
    /// writes its three addresses (each le64 as two 32-bit halves, low first) and enables it. A queue the device
    /// does not have (size 0) is an <see cref="InvalidOperationException"/>.
    /// </summary>
    public Virtqueue SetupQueue(int index, GuestAllocator allocator)
    {
        ArgumentNullException.ThrowIfNull(allocator);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var bar = Common.Bar;
        var at = Common.Offset;
        bar.WriteW(at + QueueSelect, (ushort)index);
        var size = bar.ReadW(at + QueueSize);
        if (size == 0)
        {
            throw new InvalidOperationException($"queue {index} is not available (queue_size 0)");
        }

        var queue = new Virtqueue(Device.Bus.Qtest, allocator, index, size);
        WriteQ(bar, at + QueueDesc, queue.DescriptorTable);
        WriteQ(bar, at + QueueDriver, queue.AvailRing);
        WriteQ(bar, at + QueueDevice, queue.UsedRing);
        bar.WriteW(at + QueueEnable, 1);
        return queue;
    }

    /// <summary>Notifies the device of new buffers in <paramref name="queue"/>: its index written at its notify address (section 4.1.4.4).</summary>
    public void Notify(Virtqueue queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        Common.Bar.WriteW(Common.Offset + QueueSelect, (ushort)queue.Index);
        var offset = (ulong)Common.Bar.ReadW(Common.Offset + QueueNotifyOff) * _notifyMultiplier;
        Notifier.Bar.WriteW(Notifier.Offset + offset, (ushort)queue.Index);
    }

    /// <summary>Reads the ISR status byte (reading it clears it): bit 0 queue interrupt, bit 1 configuration change.</summary>
    public byte ReadIsr() => Isr.Bar.ReadB(Isr.Offset);

    /// <summary>config_generation: changes whenever the device configuration may have changed.</summary>
    public byte ConfigGenerationCount() => Common.Bar.ReadB(Common.Offset + ConfigGeneration);

    /// <summary>A byte of the device-specific configuration.</summary>
    public byte ReadConfigB(int offset) => DeviceConfigRegion.Bar.ReadB(DeviceConfigRegion.Offset + (ulong)offset);

    /// <summary>A le32 of the device-specific configuration.</summary>
    public uint ReadConfigL(int offset) => DeviceConfigRegion.Bar.ReadL(DeviceConfigRegion.Offset + (ulong)offset);

    /// <summary>A le64 of the device-specific configuration, read as two halves until config_generation is stable (section 4.1.3.1).</summary>
    public ulong ReadConfigQ(int offset)
    {
        while (true)
        {
            var before = ConfigGenerationCount();
            ulong value = ReadConfigL(offset) | ((ulong)ReadConfigL(offset + 4) << HalfBits);
            if (ConfigGenerationCount() == before)
            {
                return value;
            }
        }
    }

    private Region Common => _common ?? throw new InvalidOperationException("Initialize first");

    private Region Notifier => _notify ?? throw new InvalidOperationException("Initialize first");

    private Region Isr => _isr ?? throw new InvalidOperationException("Initialize first");

    private Region DeviceConfigRegion => _deviceConfig ?? throw new InvalidOperationException("Initialize first");

    private static void WriteQ(PciBar bar, ulong offset, ulong value)
    {
        bar.WriteL(offset, (uint)value);
        bar.WriteL(offset + 4, (uint)(value >> HalfBits));
    }

    private void Found(int pointer)
    {
        var type = _device.ConfigReadB(pointer + CapTypeOffset);
        if (type is < CommonCfg or > DeviceCfg || type switch
        {
            CommonCfg => _common,
            NotifyCfg => _notify,
            IsrCfg => _isr,
            _ => _deviceConfig,
        } is not null)
        {
            return;
        }

        var index = _device.ConfigReadB(pointer + CapBarOffset);
        if (index >= PciDevice.BarCount)
        {
            return;
        }

        if (!_bars.TryGetValue(index, out var bar))
        {
            bar = _device.MapBar(index);
            _bars[index] = bar;
        }

        var region = new Region(bar, _device.ConfigReadL(pointer + CapRegionOffset), _device.ConfigReadL(pointer + CapLengthOffset));
        switch (type)
        {
            case CommonCfg:
                _common = region;
                break;
            case NotifyCfg:
                _notify = region;
                _notifyMultiplier = _device.ConfigReadL(pointer + NotifyMultiplierOffset);
                break;
            case IsrCfg:
                _isr = region;
                break;
            default:
                _deviceConfig = region;
                break;
        }
    }

    /// <summary>A capability's window: its BAR, the offset in it, the length.</summary>
    private sealed record Region(PciBar Bar, ulong Offset, uint Length);
}
