using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.Qcow2;

namespace Emulator.Block.Backend;

/// <summary>
/// <c>snapshot=on</c> as QEMU does it: the image is opened read-only as the backing file of a
/// temporary qcow2 overlay that takes every write; the overlay file is unlinked as soon as it is
/// open, so nothing is left behind and the image itself is never written.
/// </summary>
public static class BlockSnapshots
{
    internal const string OverlayPrefix = "emu-snapshot-";

    /// <summary>
    /// Creates a backend over <paramref name="filename"/> opened read-only under a new temporary qcow2 overlay
    /// (<c>-drive snapshot=on</c>, <c>qemu-nbd -s</c>): reads come from the image, writes stay in the overlay and
    /// are lost when the backend goes. The format is probed when <paramref name="format"/> is null.
    /// </summary>
    /// <exception cref="BlockOperationException">The image cannot be opened or the overlay cannot be created.</exception>
    public static BlockBackend OpenImageSnapshot(this BlockLayer layer, BlockBackendOptions options, string filename, string? format = null,
        FileCacheMode cache = FileCacheMode.Writeback)
    {
        ArgumentNullException.ThrowIfNull(options);
        // A protocol name (nbd://…) is kept as it is; a host file is named by its full path, so the
        // overlay in the temporary folder finds it.
        var backing = layer.Graph.Drivers.ParseProtocolFilename(filename, readOnly: true) is null ? Path.GetFullPath(filename) : filename;
        var probe = layer.OpenImageNode(backing, format, readOnly: true, cache);
        var size = probe.Length;
        var backingFormat = probe.DriverName;
        layer.Graph.Unref(probe);

        var overlay = Path.Combine(Path.GetTempPath(), $"{OverlayPrefix}{Guid.NewGuid():N}.qcow2");
        Qcow2Creator.Create(overlay, new Qcow2CreateOptions { Size = size, BackingFile = backing, BackingFormat = backingFormat });
        try
        {
            return layer.OpenImage(options with { ReadOnly = false }, overlay, "qcow2", cache);
        }
        finally
        {
            File.Delete(overlay);
        }
    }
}
