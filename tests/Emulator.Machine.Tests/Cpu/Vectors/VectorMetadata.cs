using System.Globalization;
using System.IO.Compression;

namespace Emulator.Machine.Tests.Cpu.Vectors;

/// <summary>
/// What the vector README says about each file and test: the undefined-flag mask per opcode file
/// (index.csv), the tests a 386 answers differently (differs-on-386.tsv.gz) and revoked hashes.
/// </summary>
internal sealed class VectorMetadata
{
    private readonly Dictionary<string, ushort> _flagMasks = new(StringComparer.Ordinal);
    private readonly HashSet<(string File, int Index)> _differOn386 = [];
    private readonly HashSet<string> _revoked = new(StringComparer.OrdinalIgnoreCase);

    public VectorMetadata(string devFolder)
    {
        var root = Path.GetDirectoryName(Path.GetFullPath(devFolder).TrimEnd(Path.DirectorySeparatorChar))!;
        var part = Path.GetFileName(Path.GetFullPath(devFolder).TrimEnd(Path.DirectorySeparatorChar));
        foreach (var line in File.ReadLines(Path.Combine(root, "index.csv")).Skip(1))
        {
            var columns = line.Split(',');
            _flagMasks[columns[0]] = ushort.Parse(columns[5], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }

        using (var reader = new StreamReader(new GZipStream(File.OpenRead(Path.Combine(root, "differs-on-386.tsv.gz")), CompressionMode.Decompress)))
        {
            while (reader.ReadLine() is { } line)
            {
                var columns = line.Split('\t');
                if (line.StartsWith('#') || columns.Length < 3 || columns[0] != part)
                {
                    continue;
                }

                _differOn386.Add((columns[1], int.Parse(columns[2], CultureInfo.InvariantCulture)));
            }
        }

        var revocations = Path.Combine(root, "upstream", "revocation_list.txt");
        if (File.Exists(revocations))
        {
            foreach (var line in File.ReadLines(revocations))
            {
                if (!line.StartsWith('#') && line.Trim().Length > 0)
                {
                    _revoked.Add(line.Trim());
                }
            }
        }
    }

    /// <summary>
    /// The AND mask of defined flags for a file. C0.r and C1.r take the D2.r/D3.r masks (the README's
    /// lenient rule: they differ only in where the count comes from).
    /// </summary>
    public ushort FlagMask(string file)
    {
        var key = file.StartsWith("C0.", StringComparison.Ordinal) ? "D2" + file[2..]
            : file.StartsWith("C1.", StringComparison.Ordinal) ? "D3" + file[2..]
            : file;
        return _flagMasks.TryGetValue(key, out var mask) ? mask : (ushort)0xFFFF;
    }

    /// <summary>True for tests the README says a 386 answers differently, and for revoked tests.</summary>
    public bool Skip(string file, int index, string hash) => _differOn386.Contains((file, index)) || _revoked.Contains(hash);
}
