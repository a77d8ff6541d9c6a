using System.Globalization;
using Emulator.Block.Backend;
using Emulator.Devices.Floppy;
using Emulator.Devices.Ide;
using Emulator.Devices.Virtio;
using Emulator.Machine.Loop;

namespace Emulator.Board;

/// <summary>
/// The storage controllers of the emulated PC, as QEMU's pc machine has them: the PIIX3 IDE function
/// at 00:01.1 and the ISA floppy controller (both always present), and virtio-blk-pci functions added
/// per drive in the first free PCI slots from 00:03.0. Front ends attach backends to them by index.
/// Every controller joins the machine the same way, through <see cref="PcMachine.Install{T}"/>
/// (the <see cref="Emulator.Machine.Lifecycle.IMachineDevice"/> lifecycle), and a hot-unplugged one leaves
/// through <see cref="PcMachine.Remove"/>.
/// </summary>
public sealed class StorageDevices
{
    /// <summary>QEMU's refusal of a read-only node to a device that needs to write (blk_set_perm).</summary>
    public const string ReadOnlyNode = "Block node is read-only";

    /// <summary>QEMU's pc leaves 00:02.0 to the display; user devices start at slot 3.</summary>
    public const int FirstFreeSlot = 3;
    private const int Slots = 32;

    private readonly PcMachine _machine;

    /// <summary>Installs the PIIX3 IDE function at 00:01.1 and the floppy controller at 3F0h on <paramref name="machine"/>, which must not have started.</summary>
    /// <param name="machine">The machine the controllers are installed in.</param>
    public StorageDevices(PcMachine machine)
    {
        _machine = machine;
        Ide = machine.Install(new Piix3Ide(machine));
        Floppy = machine.Install(new FloppyController(machine));
    }

    /// <summary>
    /// The first slot a virtio-blk-pci function without an address takes: <see cref="FirstFreeSlot"/> by
    /// default; QEMU's pc starts after the display (00:02.0) and the default NIC when they exist, so
    /// <c>emu system</c> sets it from -vga and -nodefaults.
    /// </summary>
    public int FirstUserSlot { get; set; } = FirstFreeSlot;

    /// <summary>The PIIX3 IDE function (always present, as on QEMU's pc).</summary>
    public Piix3Ide Ide { get; }

    /// <summary>The floppy controller (always present, as on QEMU's pc).</summary>
    public FloppyController Floppy { get; }

    /// <summary>The virtio-blk-pci functions on the bus, in the order they were added; an unplugged function is removed by <see cref="Forget"/>. Machine thread only.</summary>
    public List<VirtioBlkPci> Virtio { get; } = [];

    /// <summary>User device ids (<c>id=</c>) in use, with the driver that holds each: QEMU's ids are unique across devices.</summary>
    public Dictionary<string, string> Ids { get; } = new(StringComparer.Ordinal);

    /// <summary>The virtio-blk-pci functions that have a user id, by id.</summary>
    public Dictionary<string, VirtioBlkPci> VirtioById { get; } = new(StringComparer.Ordinal);

    /// <summary>The logical geometries given to devices (lcyls/lheads/lsecs), published as fw_cfg "bios-geometry" by the board.</summary>
    public BiosGeometryList BiosGeometry { get; } = new();

    /// <summary>The Open Firmware path of IDE drive <paramref name="index"/> (0-3) as QEMU's pc names it (qdev_get_fw_dev_path).</summary>
    public static string IdeFirmwarePath(int index) =>
        string.Create(CultureInfo.InvariantCulture, $"/pci@i0cf8/ide@1,1/drive@{index / 2}/disk@{index % 2}");

    /// <summary>The Open Firmware path of a virtio-blk-pci disk in PCI slot <paramref name="slot"/>, function 0 (QEMU names virtio-blk "scsi").</summary>
    public static string VirtioFirmwarePath(int slot) =>
        string.Create(CultureInfo.InvariantCulture, $"/pci@i0cf8/scsi@{slot:x}/disk@0,0");

    /// <summary>Takes <paramref name="id"/> for a <paramref name="driver"/> device; false when another device has it.</summary>
    public bool ClaimId(string id, string driver) => Ids.TryAdd(id, driver);

    /// <summary>Takes a hot-unplugged function out of the lists and frees its id.</summary>
    public void Forget(VirtioBlkPci virtio)
    {
        Virtio.Remove(virtio);
        BiosGeometry.Remove(virtio);
        if (VirtioById.FirstOrDefault(kv => ReferenceEquals(kv.Value, virtio)).Key is { } id)
        {
            VirtioById.Remove(id);
            Ids.Remove(id);
        }
    }

    /// <summary>
    /// Attaches a drive where <see cref="DrivePlacement"/> placed it: IDE by bus and unit (with
    /// <paramref name="ide"/> for its identity), floppy by unit, virtio-blk in the next free slot (with
    /// <paramref name="virtio"/>'s properties when given).
    /// </summary>
    public void AttachDrive(DrivePosition position, BlockBackend backend, bool cdrom, IdeDriveOptions? ide = null, VirtioBlkOptions? virtio = null)
    {
        switch (position.Interface)
        {
            case DrivePlacement.Ide:
                AttachIde(position.Index, backend, cdrom, ide ?? new IdeDriveOptions { DeviceId = position.Name });
                break;
            case DrivePlacement.Floppy:
                AttachFloppy(position.Unit, backend, position.Name);
                break;
            default:
                AddVirtio(backend, virtio ?? new VirtioBlkOptions { DeviceId = position.Name });
                break;
        }
    }

    /// <summary>IDE index 0-3: primary master, primary slave, secondary master, secondary slave.</summary>
    public IdeDrive AttachIde(int index, BlockBackend backend, bool cdrom, string deviceId) =>
        AttachIde(index, backend, cdrom, new IdeDriveOptions { DeviceId = deviceId });

    /// <summary>IDE index 0-3 with the drive's identity (serial, model, firmware revision) given.</summary>
    public IdeDrive AttachIde(int index, BlockBackend backend, bool cdrom, IdeDriveOptions options) =>
        cdrom ? Ide.AttachCdrom(index / 2, index % 2, backend, options) : Ide.AttachDisk(index / 2, index % 2, backend, options);

    /// <summary>Attaches a floppy drive of auto-detected type on <paramref name="backend"/> at <paramref name="unit"/>.</summary>
    /// <param name="unit">0 (A:) or 1 (B:).</param>
    /// <param name="backend">The drive's backend; it may be empty.</param>
    /// <param name="deviceId">The device name the backend reports in events and errors.</param>
    /// <exception cref="ArgumentException">The unit is out of range or taken, or the backend's error policy is not supported.</exception>
    public void AttachFloppy(int unit, BlockBackend backend, string deviceId) =>
        Floppy.AttachDrive(unit, backend, FloppyDriveType.Auto, deviceId);

    /// <summary>Adds a virtio-blk-pci function at 00:<paramref name="slot"/>.0, or the first free slot; <paramref name="id"/> is its user id, if any.</summary>
    public VirtioBlkPci AddVirtio(BlockBackend backend, VirtioBlkOptions options, int? slot = null, string? id = null)
    {
        var bus = _machine.Chipset.PciBus;
        var device = slot ?? Enumerable.Range(FirstUserSlot, Slots - FirstUserSlot).FirstOrDefault(d => bus.GetFunction(d, 0) is null, -1);
        if (device < 0 || bus.GetFunction(device, 0) is not null)
        {
            throw new ArgumentException(device < 0 ? "no free PCI slot for a virtio-blk-pci device" : $"PCI slot {device:x2}.0 is already in use");
        }

        var virtio = _machine.Install(new VirtioBlkPci(_machine, backend, options with { PciSlot = device }));
        Virtio.Add(virtio);
        if (id is not null)
        {
            VirtioById[id] = virtio;
        }

        return virtio;
    }
}
