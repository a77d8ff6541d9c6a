using System.Text.Json.Nodes;

namespace Emulator.Monitor;

/// <summary>
/// What <c>device_add</c> and <c>device_del</c> act on: the host that knows how to build device
/// models from QEMU properties. Both run on the machine thread. Failures are
/// <see cref="Qmp.QmpException"/>s worded as QEMU words them.
/// </summary>
public interface IDeviceHotplug
{
    /// <summary>Builds <paramref name="driver"/> from <paramref name="properties"/> (QEMU's -device properties, strings, numbers or booleans) and plugs it in.</summary>
    void Add(string driver, string? id, JsonObject properties);

    /// <summary>Asks the guest to release device <paramref name="id"/>; DEVICE_DELETED follows when it has.</summary>
    void RequestRemoval(string id);
}
