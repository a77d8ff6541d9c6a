namespace Emulator.Devices.Virtio;

/// <summary>
/// struct virtio_pci_common_cfg in the modern BAR (virtio 1.2, 4.1.4.3) over a
/// <see cref="VirtioPciDevice"/>: 64-bit feature words by select, the driver's requested features
/// (accepted only when FEATURES_OK sticks), MSI-X vectors (a vector past the table reads back
/// NO_VECTOR), queue selection, size (a smaller power of two), addresses and enable — writable
/// only while the queue is disabled — and queue_reset with RING_RESET. Reads are byte-wise over
/// the field layout; writes act on the field at their offset (64-bit fields as two dwords).
/// </summary>
internal sealed class VirtioCommonConfig(VirtioPciDevice device)
{
    private const int ByteBits = 8;
    private const int DwordBits = 32;
    private const int FeatureWords = 2;

    private readonly uint[] _driverFeatureWords = new uint[FeatureWords];
    private uint _deviceFeatureSelect;
    private uint _driverFeatureSelect;

    /// <summary>The feature bits the driver wrote, checked when it sets FEATURES_OK.</summary>
    public ulong RequestedFeatures => _driverFeatureWords[0] | ((ulong)_driverFeatureWords[1] << DwordBits);

    public void Reset()
    {
        Array.Clear(_driverFeatureWords);
        _deviceFeatureSelect = _driverFeatureSelect = 0;
    }

    public byte ReadByte(int offset)
    {
        var (value, start) = Field(offset, device.SelectedQueue);
        return (byte)(value >> (ByteBits * (offset - (int)start)));
    }

    public void Write(int offset, uint value)
    {
        var queue = device.SelectedQueue;
        var configurable = queue is { Enabled: false };
        switch ((VirtioCommonRegister)offset)
        {
            case VirtioCommonRegister.DeviceFeatureSelect:
                _deviceFeatureSelect = value;
                break;
            case VirtioCommonRegister.DriverFeatureSelect:
                _driverFeatureSelect = value;
                break;
            case VirtioCommonRegister.DriverFeature when _driverFeatureSelect < FeatureWords:
                _driverFeatureWords[_driverFeatureSelect] = value;
                break;
            case VirtioCommonRegister.ConfigMsixVector:
                device.ConfigVector = device.CheckVector((ushort)value);
                break;
            case VirtioCommonRegister.DeviceStatus:
                device.WriteStatus((byte)value, legacy: false);
                break;
            case VirtioCommonRegister.QueueSelect:
                device.QueueSelect = (ushort)value;
                break;
            case VirtioCommonRegister.QueueSize when configurable && value is > 0 && value <= queue!.MaxSize && (value & (value - 1)) == 0:
                queue.Size = (ushort)value;
                break;
            case VirtioCommonRegister.QueueMsixVector when queue is not null:
                queue.MsixVector = device.CheckVector((ushort)value);
                break;
            case VirtioCommonRegister.QueueEnable when configurable && value == 1:
                queue!.Enabled = true;
                break;
            case VirtioCommonRegister.QueueDesc when configurable:
                queue!.DescAddress = SetLow(queue.DescAddress, value);
                break;
            case VirtioCommonRegister.QueueDescHigh when configurable:
                queue!.DescAddress = SetHigh(queue.DescAddress, value);
                break;
            case VirtioCommonRegister.QueueDriver when configurable:
                queue!.DriverAddress = SetLow(queue.DriverAddress, value);
                break;
            case VirtioCommonRegister.QueueDriverHigh when configurable:
                queue!.DriverAddress = SetHigh(queue.DriverAddress, value);
                break;
            case VirtioCommonRegister.QueueDevice when configurable:
                queue!.DeviceAddress = SetLow(queue.DeviceAddress, value);
                break;
            case VirtioCommonRegister.QueueDeviceHigh when configurable:
                queue!.DeviceAddress = SetHigh(queue.DeviceAddress, value);
                break;
            case VirtioCommonRegister.QueueReset when queue is not null && value == 1:
                device.ResetQueue(queue);
                break;
        }
    }

    /// <summary>The field holding byte <paramref name="offset"/>: its value and where it starts.</summary>
    private (ulong Value, VirtioCommonRegister Start) Field(int offset, Virtqueue? queue) =>
        (VirtioCommonRegister)offset switch
        {
            < VirtioCommonRegister.DeviceFeature => (_deviceFeatureSelect, VirtioCommonRegister.DeviceFeatureSelect),
            < VirtioCommonRegister.DriverFeatureSelect => (FeatureWord(device.OfferedFeatures & ~(ulong)VirtioFeatures.LegacyOnly, _deviceFeatureSelect), VirtioCommonRegister.DeviceFeature),
            < VirtioCommonRegister.DriverFeature => (_driverFeatureSelect, VirtioCommonRegister.DriverFeatureSelect),
            < VirtioCommonRegister.ConfigMsixVector => (_driverFeatureSelect < FeatureWords ? _driverFeatureWords[_driverFeatureSelect] : 0, VirtioCommonRegister.DriverFeature),
            < VirtioCommonRegister.NumQueues => (device.ConfigVector, VirtioCommonRegister.ConfigMsixVector),
            < VirtioCommonRegister.DeviceStatus => ((ulong)device.Queues.Length, VirtioCommonRegister.NumQueues),
            VirtioCommonRegister.DeviceStatus => ((ulong)device.Status, VirtioCommonRegister.DeviceStatus),
            VirtioCommonRegister.ConfigGeneration => (device.ConfigGeneration, VirtioCommonRegister.ConfigGeneration),
            < VirtioCommonRegister.QueueSize => (device.QueueSelect, VirtioCommonRegister.QueueSelect),
            < VirtioCommonRegister.QueueMsixVector => (queue?.Size ?? 0u, VirtioCommonRegister.QueueSize),
            < VirtioCommonRegister.QueueEnable => (queue?.MsixVector ?? Virtqueue.NoVector, VirtioCommonRegister.QueueMsixVector),
            < VirtioCommonRegister.QueueNotifyOff => (queue is { Enabled: true } ? 1u : 0u, VirtioCommonRegister.QueueEnable),
            < VirtioCommonRegister.QueueDesc => ((ulong)(queue?.Index ?? 0), VirtioCommonRegister.QueueNotifyOff),
            < VirtioCommonRegister.QueueDriver => (queue?.DescAddress ?? 0, VirtioCommonRegister.QueueDesc),
            < VirtioCommonRegister.QueueDevice => (queue?.DriverAddress ?? 0, VirtioCommonRegister.QueueDriver),
            < VirtioCommonRegister.QueueNotifyData => (queue?.DeviceAddress ?? 0, VirtioCommonRegister.QueueDevice),
            < VirtioCommonRegister.QueueReset => ((ulong)(queue?.Index ?? 0), VirtioCommonRegister.QueueNotifyData),
            < VirtioCommonRegister.End => (0, VirtioCommonRegister.QueueReset),
            _ => (0, VirtioCommonRegister.End),
        };

    private static uint FeatureWord(ulong features, uint select) => select < FeatureWords ? (uint)(features >> (DwordBits * (int)select)) : 0;

    private static ulong SetLow(ulong value, uint low) => (value & ~(ulong)uint.MaxValue) | low;

    private static ulong SetHigh(ulong value, uint high) => (value & uint.MaxValue) | ((ulong)high << DwordBits);
}
