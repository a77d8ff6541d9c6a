namespace Emulator.Devices.Virtio;

/// <summary>
/// The legacy register block in I/O BAR0 (virtio 1.2, 4.1.4.8) over a <see cref="VirtioPciDevice"/>:
/// 32-bit features (no VERSION_1), queue PFN with 4096-byte alignment (0 resets the device, a PFN
/// for a queue that does not exist is ignored), fixed queue size, select, notify, status, ISR
/// (read-to-clear), the two MSI-X vector registers while MSI-X is on, then the device
/// configuration. Reads are composed byte by byte, so any width at any offset reads what a
/// byte-wise walk would; writes act on the register at their offset.
/// </summary>
internal static class VirtioLegacyInterface
{
    private const int ByteBits = 8;

    /// <summary>
    /// VIRTIO_F_BAD_FEATURE (bit 30): QEMU offers it on every legacy interface so a driver that acks
    /// everything it sees can be caught; a guest that sets it gets the device's "bad" feature set,
    /// which for virtio-blk is empty.
    /// </summary>
    private const uint BadFeature = 1u << 30;

    public static uint Read(VirtioPciDevice device, int offset, int width)
    {
        uint value = 0;
        for (var i = width - 1; i >= 0; i--)
        {
            value = (value << ByteBits) | ReadByte(device, offset + i);
        }

        if (offset <= (int)VirtioLegacyRegister.Isr && offset + width > (int)VirtioLegacyRegister.Isr)
        {
            device.ClearIsr();
        }

        return value;
    }

    public static void Write(VirtioPciDevice device, int offset, int width, uint value)
    {
        var configStart = device.LegacyConfigStart;
        if (offset >= configStart)
        {
            for (var i = 0; i < width; i++)
            {
                device.WriteConfigByte(offset - configStart + i, (byte)(value >> (ByteBits * i)));
            }

            return;
        }

        var queue = device.SelectedQueue;
        var msix = device.Msix.Enabled;
        switch ((VirtioLegacyRegister)offset)
        {
            case VirtioLegacyRegister.GuestFeatures:
                device.NegotiatedFeatures = (value & BadFeature) != 0 ? 0 : value & device.OfferedFeatures & uint.MaxValue;
                device.ApplyQueueFeatures();
                break;
            case VirtioLegacyRegister.QueuePfn when value == 0:
                device.ResetDevice();
                break;
            case VirtioLegacyRegister.QueuePfn:
                queue?.SetLegacyPfn(value);
                break;
            case VirtioLegacyRegister.QueueSelect:
                device.QueueSelect = (ushort)value;
                break;
            case VirtioLegacyRegister.QueueNotify:
                device.Notify((ushort)value);
                break;
            case VirtioLegacyRegister.DeviceStatus:
                device.WriteStatus((byte)value, legacy: true);
                break;
            case VirtioLegacyRegister.ConfigVector when msix:
                device.ConfigVector = device.CheckVector((ushort)value);
                break;
            case VirtioLegacyRegister.QueueVector when msix && queue is not null:
                queue.MsixVector = device.CheckVector((ushort)value);
                break;
        }
    }

    private static byte ReadByte(VirtioPciDevice device, int offset)
    {
        var configStart = device.LegacyConfigStart;
        if (offset >= configStart)
        {
            return device.ReadConfigByte(offset - configStart);
        }

        var queue = device.SelectedQueue;
        (uint value, int start) = offset switch
        {
            < (int)VirtioLegacyRegister.GuestFeatures => ((uint)device.OfferedFeatures | BadFeature, (int)VirtioLegacyRegister.HostFeatures),
            < (int)VirtioLegacyRegister.QueuePfn => ((uint)device.NegotiatedFeatures, (int)VirtioLegacyRegister.GuestFeatures),
            < (int)VirtioLegacyRegister.QueueSize => (queue?.LegacyPfn ?? 0, (int)VirtioLegacyRegister.QueuePfn),
            < (int)VirtioLegacyRegister.QueueSelect => (queue?.MaxSize ?? 0u, (int)VirtioLegacyRegister.QueueSize),
            < (int)VirtioLegacyRegister.QueueNotify => (device.QueueSelect, (int)VirtioLegacyRegister.QueueSelect),
            < (int)VirtioLegacyRegister.DeviceStatus => (0u, (int)VirtioLegacyRegister.QueueNotify),
            < (int)VirtioLegacyRegister.Isr => ((uint)device.Status, (int)VirtioLegacyRegister.DeviceStatus),
            < (int)VirtioLegacyRegister.QueueVector when offset == (int)VirtioLegacyRegister.Isr => (device.Isr, (int)VirtioLegacyRegister.Isr),
            < (int)VirtioLegacyRegister.QueueVector => (device.ConfigVector, (int)VirtioLegacyRegister.ConfigVector),
            _ => (queue?.MsixVector ?? Virtqueue.NoVector, (int)VirtioLegacyRegister.QueueVector),
        };

        return (byte)(value >> (ByteBits * (offset - start)));
    }
}
