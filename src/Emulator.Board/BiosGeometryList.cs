using System.Globalization;
using System.Text;

namespace Emulator.Board;

/// <summary>
/// QEMU's list of logical (BIOS) geometries that devices were given with lcyls/lheads/lsecs
/// (softmmu/bootdevice.c, fw_lchs), published to the firmware as the fw_cfg file "bios-geometry":
/// one line "DEVICE-PATH C H S" per device in the order the devices were added, lines joined by
/// '\n' and the whole ended by one NUL (an empty list is an empty file). A device with all three at 0
/// is not listed; a removed device leaves the list (the board republishes it at the next reset).
/// </summary>
public sealed class BiosGeometryList
{
    /// <summary>The fw_cfg file name SeaBIOS reads the overrides from.</summary>
    public const string FileName = "bios-geometry";

    private readonly List<Entry> _entries = [];

    /// <summary>Adds <paramref name="owner"/>'s logical geometry under its Open Firmware device path, unless all three are 0.</summary>
    public void Add(object owner, string devicePath, uint cylinders, uint heads, uint sectors)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(devicePath);
        if (cylinders == 0 && heads == 0 && sectors == 0)
        {
            return;
        }

        _entries.Add(new Entry(owner, devicePath, cylinders, heads, sectors));
    }

    /// <summary>Takes the entry of a device that is being removed out of the list.</summary>
    public void Remove(object owner) => _entries.RemoveAll(e => ReferenceEquals(e.Owner, owner));

    /// <summary>The file's bytes as QEMU builds them (get_boot_devices_lchs_list).</summary>
    public byte[] ToFileContents()
    {
        if (_entries.Count == 0)
        {
            return [];
        }

        var text = string.Join('\n', _entries.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Path} {e.Cylinders} {e.Heads} {e.Sectors}")));
        return Encoding.ASCII.GetBytes(text + '\0');
    }

    private sealed record Entry(object Owner, string Path, uint Cylinders, uint Heads, uint Sectors);
}
