using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Emulator.Hosting.QemuSystem;
using Emulator.Devices.Virtio;
using Emulator.Machine.Acpi;
using Emulator.Monitor;
using Emulator.Monitor.Qmp;

namespace Emulator.Hosting;

/// <summary>
/// device_add / device_del for virtio-blk-pci through the ACPI PCI hotplug registers, as QEMU's pc
/// does it (hw/acpi/pcihp.c): an add plugs the function in at once and sets its slot's up bit and
/// GPE0.1 (SCI); a del only sets the down bit and GPE0.1, and the device leaves when the guest
/// writes the slot bit to B0EJ. Then DEVICE_DELETED is sent for the virtio backend child and for the
/// proxy, in that order, and the backend is released (a -drive's goes away with its device, as QEMU's; an anonymous backend over
/// a -blockdev node is deleted with its device). IDE and floppy devices sit on buses without hotplug.
/// Runs on the machine thread (the monitor executor and the port bus both call from there).
/// </summary>
internal sealed class DeviceHotplug : IDeviceHotplug
{
    private const string VirtioBlkPciDriver = "virtio-blk-pci";
    private const string PciBus = "pci.0";

    /// <summary>An integer addr is a devfn: slot in bits 7:3, function in bits 2:0 (PCI 3.0, section 3.2.2.3.1).</summary>
    private const int FunctionBits = 3;
    private const int FunctionMask = (1 << FunctionBits) - 1;
    private const long DevfnCount = 256;

    /// <summary>QEMU's acpi_pcihp_device_unplug_request_cb: pending_deleted_expires_ms = now + 5000 (virtual clock).</summary>
    private const long UnplugRetryNanoseconds = 5_000_000_000;

    /// <summary>The buses of the cold-plug-only models, for QEMU's "does not support hotplugging".</summary>
    private static readonly Dictionary<string, string> FixedBuses = new(StringComparer.Ordinal)
    {
        ["ide-hd"] = "ide.0",
        ["ide-cd"] = "ide.0",
        ["floppy"] = "floppy-bus.0",
    };

    private readonly EmulatorHost _host;
    private readonly MonitorEvents _events;
    private readonly AcpiPciHotplug _registers;
    private readonly Dictionary<VirtioBlkPci, long> _requested = [];

    public DeviceHotplug(EmulatorHost host, MonitorEvents events)
    {
        _host = host;
        _events = events;
        _registers = host.Machine.Chipset.PciHotplug;
        _registers.EjectRequested += OnEject;
    }

    public void Add(string driver, string? id, JsonObject properties)
    {
        if (FixedBuses.TryGetValue(driver, out var fixedBus))
        {
            throw new QmpException($"Bus '{fixedBus}' does not support hotplugging");
        }

        if (driver != VirtioBlkPciDriver)
        {
            throw new QmpException($"'{driver}' is not a valid device model name");
        }

        var values = Strings(properties);
        if (values.Remove("bus", out var bus) && bus != PciBus)
        {
            throw new QmpException($"Bus '{bus}' not found");
        }

        if (id is not null && !_host.Devices.ClaimId(id, driver))
        {
            throw new QmpException($"Duplicate device ID '{id}'");
        }

        VirtioBlkPci virtio;
        try
        {
            virtio = QemuDevices.Hotplug(_host, id, values);
        }
        catch (QemuOptionException e)
        {
            if (id is not null)
            {
                _host.Devices.Ids.Remove(id);
            }

            throw new QmpException(e.Detail);
        }

        _registers.NotifyPlugged(virtio.Device);
    }

    public void RequestRemoval(string id)
    {
        if (!_host.Devices.Ids.TryGetValue(id, out var driver))
        {
            throw new QmpException($"Device '{id}' not found", QmpErrorClass.DeviceNotFound);
        }

        if (!_host.Devices.VirtioById.TryGetValue(id, out var virtio))
        {
            throw new QmpException($"Bus '{FixedBuses.GetValueOrDefault(driver, PciBus)}' does not support hotplugging");
        }

        // QEMU refuses a repeat while the request is younger than 5 s of virtual time, then signals again.
        var now = _host.Machine.Clock.Now;
        if (_registers.IsUnplugPending(virtio.Device) && _requested.TryGetValue(virtio, out var at) && now - at < UnplugRetryNanoseconds)
        {
            throw new QmpException($"Device {id} is already in the process of unplug");
        }

        _requested[virtio] = now;
        _registers.NotifyUnplugRequest(virtio.Device);
    }

    private static Dictionary<string, string> Strings(JsonObject properties)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, node) in properties)
        {
            values[key] = node?.GetValueKind() switch
            {
                JsonValueKind.String => node.GetValue<string>(),
                JsonValueKind.True => "on",
                JsonValueKind.False => "off",
                JsonValueKind.Number when key == "addr" && node.GetValue<long>() is >= 0 and < DevfnCount and var devfn =>
                    string.Create(CultureInfo.InvariantCulture, $"{devfn >> FunctionBits:x}.{devfn & FunctionMask}"),
                JsonValueKind.Number => node.ToJsonString(),
                _ => throw new QmpException($"Invalid parameter type for '{key}', expected: string"),
            };
        }

        return values;
    }

    private void OnEject(int slot)
    {
        var virtio = _host.Devices.Virtio.FirstOrDefault(v => v.Device == slot && !v.IsUnplugged);
        if (virtio is null)
        {
            return;
        }

        var id = _host.Devices.VirtioById.FirstOrDefault(kv => ReferenceEquals(kv.Value, virtio)).Key;
        var backend = virtio.Backend;
        var path = PeripheralPaths.ProxyOf(backend.DeviceQomPath);
        _requested.Remove(virtio);
        _host.Machine.Remove(virtio);
        _host.Devices.Forget(virtio);

        // As QEMU (blockdev_mark_auto_del): the backend goes with its device, a -drive's included;
        // a -blockdev node only loses the anonymous backend over it.
        backend.Unref();

        // QEMU finalizes the virtio-blk-device child (no id) before its PCI proxy.
        _host.Peripherals.Release(path);
        _events.Publish("DEVICE_DELETED", new JsonObject { ["path"] = $"{path}/virtio-backend" });
        var data = new JsonObject();
        if (id is not null)
        {
            data["device"] = id;
        }

        data["path"] = path;
        _events.Publish("DEVICE_DELETED", data);
    }
}
