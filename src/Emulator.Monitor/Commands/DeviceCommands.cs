using Emulator.Monitor.Qmp;

namespace Emulator.Monitor.Commands;

/// <summary>
/// device_add (QAPI 'gen': false: driver, id and the device's own properties in one object) and
/// device_del, over the host's <see cref="IDeviceHotplug"/>. Removal is asynchronous as in QEMU:
/// device_del returns at once and DEVICE_DELETED announces the end.
/// </summary>
internal static class DeviceCommands
{
    public static void Register(QmpCommandTable table, IDeviceHotplug hotplug)
    {
        table.Add(new QmpCommand(
            "device_add",
            [new("driver", QmpType.String), new("id", QmpType.String, Optional: true), new("bus", QmpType.String, Optional: true)],
            args =>
            {
                var properties = args.Raw.DeepClone().AsObject();
                properties.Remove("driver");
                properties.Remove("id");
                hotplug.Add(args.String("driver"), args.OptionalString("id"), properties);
                return null;
            },
            OpenArguments: true));
        table.Add(new QmpCommand("device_del", [new("id", QmpType.String)], args =>
        {
            hotplug.RequestRemoval(args.String("id"));
            return null;
        }));
    }
}
