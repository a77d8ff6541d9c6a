namespace Emulator.Hosting.QemuSystem;

/// <summary>
/// QEMU's QOM paths for user-created devices: <c>/machine/peripheral/ID</c> for a device with an id, else
/// <c>/machine/peripheral-anon/device[N]</c> with the first free N (object_property_add_child's "[*]" names),
/// freed again when the device is removed. A virtio-blk-pci proxy's block device is its
/// <c>virtio-backend</c> child, whose path is what query-block's qdev and DEVICE_TRAY_MOVED's id name.
/// </summary>
internal sealed class PeripheralPaths
{
    /// <summary>The child of a virtio PCI proxy that is the virtio device itself (virtio_instance_init_common).</summary>
    public const string VirtioBackend = "/virtio-backend";

    private const string Anonymous = "/machine/peripheral-anon/device[";

    private readonly SortedSet<int> _anonymous = [];

    /// <summary>The path of a new device: from its id, or the first free anonymous name.</summary>
    public string Claim(string? id)
    {
        if (id is not null)
        {
            return $"/machine/peripheral/{id}";
        }

        var index = 0;
        while (_anonymous.Contains(index))
        {
            index++;
        }

        _anonymous.Add(index);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Anonymous}{index}]");
    }

    /// <summary>Frees an anonymous name when its device is removed (a path with an id needs nothing).</summary>
    public void Release(string path)
    {
        if (path.StartsWith(Anonymous, StringComparison.Ordinal)
            && int.TryParse(path.AsSpan(Anonymous.Length, path.Length - Anonymous.Length - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
        {
            _anonymous.Remove(index);
        }
    }

    /// <summary>The proxy's path from its virtio-backend child's path.</summary>
    public static string ProxyOf(string backendPath) =>
        backendPath.EndsWith(VirtioBackend, StringComparison.Ordinal) ? backendPath[..^VirtioBackend.Length] : backendPath;
}
