using System.Text;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>The feature name table extension: 48-byte records of type (0 incompatible, 1 compatible, 2 autoclear), bit number and a 46-byte name.</summary>
internal static class Qcow2FeatureNames
{
    private const int RecordLength = 48;
    private const int NameLength = 46;

    /// <summary>The name the image gives to feature <paramref name="bit"/> of <paramref name="type"/>, or null.</summary>
    public static string? Find(IReadOnlyList<Qcow2HeaderExtension> extensions, int type, int bit)
    {
        foreach (var extension in extensions)
        {
            if (extension.Type != Qcow2HeaderExtensionType.FeatureNameTable)
            {
                continue;
            }

            var table = extension.Data.AsSpan();
            for (var i = 0; i + RecordLength <= table.Length; i += RecordLength)
            {
                if (table[i] == type && table[i + 1] == bit)
                {
                    var name = table.Slice(i + 2, NameLength);
                    var zero = name.IndexOf((byte)0);
                    return Encoding.UTF8.GetString(zero < 0 ? name : name[..zero]);
                }
            }
        }

        return null;
    }

    /// <summary>The table QEMU writes into new version 3 images, so its tools name our features the same way.</summary>
    public static Qcow2HeaderExtension Standard()
    {
        (byte Type, byte Bit, string Name)[] features =
        [
            (0, 0, "dirty bit"),
            (0, 1, "corrupt bit"),
            (0, 2, "external data file"),
            (0, 3, "compression type"),
            (0, 4, "extended L2 entries"),
            (1, 0, "lazy refcounts"),
            (2, 0, "bitmaps"),
            (2, 1, "raw external data"),
        ];
        var data = new byte[features.Length * RecordLength];
        for (var i = 0; i < features.Length; i++)
        {
            var record = data.AsSpan(i * RecordLength, RecordLength);
            record[0] = features[i].Type;
            record[1] = features[i].Bit;
            Encoding.ASCII.GetBytes(features[i].Name, record[2..]);
        }

        return new Qcow2HeaderExtension(Qcow2HeaderExtensionType.FeatureNameTable, data);
    }
}
