using System.Text.Json.Nodes;
using Emulator.Monitor;
using Emulator.Monitor.Qmp;

namespace Emulator.Hosting;

/// <summary>
/// device_add/device_del on <c>-machine none</c>: the board has no PCI, IDE or floppy bus, so every
/// storage device is refused with QEMU's "No 'BUS' bus found" and nothing can be deleted.
/// </summary>
internal sealed class EmptyBoardHotplug : IDeviceHotplug
{
    /// <summary>The bus each -device/device_add driver needs, named as QEMU's qdev names them; null for an unknown driver.</summary>
    public static string? BusOf(string driver) => driver switch
    {
        "ide-hd" or "ide-cd" or "ide-drive" => "IDE",
        "floppy" => "floppy-bus",
        "virtio-blk-pci" or "virtio-blk-pci-non-transitional" or "virtio-blk-pci-transitional" => "PCI",
        _ => null,
    };

    /// <summary>QEMU's refusal of <paramref name="driver"/> on a board without its bus.</summary>
    public static string NoBus(string driver) =>
        BusOf(driver) is { } bus ? $"No '{bus}' bus found for device '{driver}'" : $"'{driver}' is not a valid device model name";

    public void Add(string driver, string? id, JsonObject properties) => throw new QmpException(NoBus(driver));

    public void RequestRemoval(string id) => throw new QmpException($"Device '{id}' not found", QmpErrorClass.DeviceNotFound);
}
