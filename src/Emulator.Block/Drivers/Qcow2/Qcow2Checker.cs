using Emulator.Block.Backend;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>
/// <c>check</c>: counts the references to every host cluster (header, L1 tables, L2 tables, data,
/// compressed data, refcount table and blocks, snapshot table) and compares them with the refcounts,
/// as QEMU's qcow2 check does: a refcount below its references is a corruption, above it a leak.
/// Also flags bad offsets and wrong COPIED flags as corruptions. Repair sets refcounts to the counted
/// references (leaks only, or both directions), then the image is checked again.
/// </summary>
internal sealed class Qcow2Checker
{
    /// <summary>More clusters than this (256 MiB of counters) and the check refuses to run rather than allocate.</summary>
    private const long MaxClusters = 1L << 26;

    private readonly Qcow2Driver _driver;
    private readonly int _clusterBits;
    private readonly long _clusterSize;
    private readonly long _end;
    private readonly uint[] _references;
    private readonly List<string> _messages = [];
    private int _corruptions;
    private long _allocated;
    private long _fragmented;
    private long _compressed;

    private Qcow2Checker(Qcow2Driver driver, long clusters)
    {
        _driver = driver;
        _clusterBits = driver.ClusterBits;
        _clusterSize = driver.ClusterSize;
        _end = clusters << _clusterBits;
        _references = new uint[clusters];
    }

    public static Qcow2CheckResult Run(Qcow2Driver driver, Qcow2RepairMode repair)
    {
        lock (driver.MetadataLock)
        {
            // The checker reads L2 tables from the file: changes held in the cache go there first.
            if (!driver.Node.ReadOnly && driver.Map.WriteBack() != BlockError.None)
            {
                return new Qcow2CheckResult { CheckErrors = 1 };
            }

            var result = RunOnce(driver, repair);
            if (repair == Qcow2RepairMode.None || result.CheckErrors > 0 || (result.Leaks == 0 && result.Corruptions == 0))
            {
                return result;
            }

            if (driver.Refcounts.WriteBack() != BlockError.None)
            {
                return result with { CheckErrors = result.CheckErrors + 1 };
            }

            var after = RunOnce(driver, Qcow2RepairMode.None);
            return after with
            {
                LeaksFixed = result.Leaks - after.Leaks,
                CorruptionsFixed = Math.Max(0, result.Corruptions - after.Corruptions),
                Messages = [.. result.Messages, .. after.Messages],
            };
        }
    }

    private static Qcow2CheckResult RunOnce(Qcow2Driver driver, Qcow2RepairMode repair)
    {
        var refcounts = driver.Refcounts;
        var length = Math.Max(driver.FileNode.Length, refcounts.NextFree);
        var clusters = (length + driver.ClusterSize - 1) >> driver.ClusterBits;
        if (clusters > MaxClusters)
        {
            return new Qcow2CheckResult { CheckErrors = 1, Messages = [$"The image has {clusters} clusters, too many to check"] };
        }

        var checker = new Qcow2Checker(driver, clusters);
        return checker.Check(repair);
    }

    private Qcow2CheckResult Check(Qcow2RepairMode repair)
    {
        var header = _driver.Header;
        var refcounts = _driver.Refcounts;
        var map = _driver.Map;
        Reference(0, _clusterSize, "header");
        Reference(map.L1Offset, map.L1.Count * 8L, "L1 table");
        var checkErrors = CountL1(map.L1, active: true);
        var snapshotBytes = 0L;
        foreach (var snapshot in _driver.Snapshots)
        {
            snapshotBytes += snapshot.EntryLength;
            var l1 = LoadL1((long)snapshot.L1TableOffset, snapshot.L1Size, out var error);
            checkErrors += error ? 1 : 0;
            Reference((long)snapshot.L1TableOffset, snapshot.L1Size * 8L, "snapshot L1 table");
            checkErrors += CountL1(l1, active: false);
        }

        if (snapshotBytes > 0)
        {
            Reference((long)header.SnapshotsOffset, snapshotBytes, "snapshot table");
        }

        Reference(refcounts.TableOffset, (long)refcounts.TableClusters << _clusterBits, "refcount table");
        if ((header.Autoclear & Qcow2AutoclearFeatures.Bitmaps) != 0
            && !Qcow2Bitmaps.ForEachRange(header, _driver.Io, (offset, length) => Reference(offset, length, "bitmap")))
        {
            checkErrors++;
            _messages.Add("ERROR: the bitmaps extension or directory cannot be read");
        }

        foreach (var block in refcounts.Table)
        {
            if (block != 0)
            {
                Reference((long)block, _clusterSize, "refcount block");
            }
        }

        var leaks = 0;
        var imageEnd = 0L;
        var highestReference = 0L;
        for (long i = 0; i < _references.Length; i++)
        {
            if (_references[i] > 0)
            {
                highestReference = (i + 1) << _clusterBits;
            }
        }

        refcounts.ReserveUpTo(highestReference);
        for (long i = 0; i < _references.Length; i++)
        {
            var offset = i << _clusterBits;
            if (refcounts.Get(offset, out var refcount) != BlockError.None)
            {
                checkErrors++;
                continue;
            }

            if (refcount > 0 || _references[i] > 0)
            {
                imageEnd = offset + _clusterSize;
            }

            var references = (ulong)_references[i];
            if (refcount == references)
            {
                continue;
            }

            var isLeak = refcount > references;
            var fix = repair == Qcow2RepairMode.All || (repair == Qcow2RepairMode.Leaks && isLeak);
            _messages.Add($"{(isLeak ? "Leaked" : "ERROR")} cluster {i} refcount={refcount} reference={references}");
            if (fix)
            {
                _messages.Add($"Repairing cluster {i} refcount={refcount} reference={references}");
            }

            if (isLeak)
            {
                leaks++;
            }
            else
            {
                _corruptions++;
            }

            if (fix && refcounts.Set(offset, references) != BlockError.None)
            {
                checkErrors++;
            }
        }

        CheckCopiedFlags();
        return new Qcow2CheckResult
        {
            Corruptions = _corruptions,
            Leaks = leaks,
            CheckErrors = checkErrors,
            ImageEndOffset = imageEnd,
            TotalClusters = (_driver.Length + _clusterSize - 1) >> _clusterBits,
            AllocatedClusters = _allocated,
            FragmentedClusters = _fragmented,
            CompressedClusters = _compressed,
            Messages = _messages,
        };
    }

    private int CountL1(IReadOnlyList<ulong> l1, bool active)
    {
        var errors = 0;
        var previous = -1L;
        var table = new byte[_clusterSize];
        for (var i = 0; i < l1.Count; i++)
        {
            var l2Offset = (long)(l1[i] & Qcow2Entry.OffsetMask);
            if (l2Offset == 0)
            {
                continue;
            }

            if ((l2Offset & (_clusterSize - 1)) != 0)
            {
                _corruptions++;
                _messages.Add($"ERROR l2_offset=0x{l2Offset:x}: L2 table is not cluster aligned");
                continue;
            }

            if (!Reference(l2Offset, _clusterSize, "L2 table"))
            {
                continue;
            }

            if (_driver.Io.Read(l2Offset, table) != BlockError.None)
            {
                errors++;
                continue;
            }

            for (var j = 0; j < _driver.Map.EntriesPerTable; j++)
            {
                var entry = _driver.Map.ReadEntry(table, j, out var bitmap);
                if (entry == 0 && bitmap == 0)
                {
                    continue;
                }

                CountL2Entry(entry, bitmap, active, ref previous);
            }
        }

        return errors;
    }

    private void CountL2Entry(ulong entry, ulong bitmap, bool active, ref long previous)
    {
        if (_driver.Map.Describe(entry, bitmap, out var mapping) is { } problem)
        {
            _corruptions++;
            _messages.Add($"ERROR: {problem}");
            return;
        }

        if (mapping.Kind == Qcow2ClusterKind.Compressed)
        {
            var first = mapping.HostOffset & ~(_clusterSize - 1);
            var last = (mapping.HostOffset + mapping.CompressedLength - 1) & ~(_clusterSize - 1);
            for (var cluster = first; cluster <= last; cluster += _clusterSize)
            {
                Reference(cluster, _clusterSize, "compressed cluster");
            }

            if (active)
            {
                // As QEMU counts them: compressed clusters are fragmented by nature (sector-granular reads).
                _allocated++;
                _compressed++;
                _fragmented++;
            }

            return;
        }

        // Clusters of an external data file are not refcounted (qcow2.txt), and may lie at offset 0.
        var dataFile = _driver.HasDataFile;
        if ((mapping.HostOffset == 0 && !(dataFile && mapping.Copied)) || (!dataFile && !Reference(mapping.HostOffset, _clusterSize, "data cluster")))
        {
            return;
        }

        if (active)
        {
            _allocated++;
            if (previous >= 0 && mapping.HostOffset != previous + _clusterSize)
            {
                _fragmented++;
            }

            previous = mapping.HostOffset;
        }
    }

    private void CheckCopiedFlags()
    {
        var map = _driver.Map;
        var refcounts = _driver.Refcounts;
        var table = new byte[_clusterSize];
        for (var i = 0; i < map.L1.Count; i++)
        {
            var l2Offset = (long)(map.L1[i] & Qcow2Entry.OffsetMask);
            if (l2Offset == 0 || (l2Offset & (_clusterSize - 1)) != 0 || l2Offset >= _end)
            {
                continue;
            }

            if (refcounts.Get(l2Offset, out var l2Refcount) == BlockError.None && (l2Refcount == 1) != ((map.L1[i] & Qcow2Entry.Copied) != 0))
            {
                _corruptions++;
                _messages.Add($"ERROR OFLAG_COPIED L2 cluster: l1_index={i} l1_entry={map.L1[i]:x} refcount={l2Refcount}");
            }

            if (_driver.Io.Read(l2Offset, table) != BlockError.None)
            {
                continue;
            }

            for (var j = 0; j < map.EntriesPerTable; j++)
            {
                var entry = map.ReadEntry(table, j, out _);
                var host = (long)(entry & Qcow2Entry.OffsetMask);
                if ((entry & Qcow2Entry.Compressed) != 0 || host == 0 || host >= _end || _driver.HasDataFile)
                {
                    continue;
                }

                if (refcounts.Get(host, out var refcount) == BlockError.None && (refcount == 1) != ((entry & Qcow2Entry.Copied) != 0))
                {
                    _corruptions++;
                    _messages.Add($"ERROR OFLAG_COPIED data cluster: l2_entry={entry:x} refcount={refcount}");
                }
            }
        }
    }

    private ulong[] LoadL1(long offset, uint entries, out bool error)
    {
        error = false;
        if (offset <= 0 || offset > _end - (entries * 8L))
        {
            error = true;
            return [];
        }

        return Qcow2ClusterMap.LoadL1(_driver.Io, offset, entries);
    }

    /// <summary>Counts one reference to every cluster of a range; false when the range is outside the image.</summary>
    private bool Reference(long offset, long length, string what)
    {
        if (length == 0)
        {
            return true;
        }

        if (offset < 0 || length < 0 || offset > _end - length)
        {
            _corruptions++;
            _messages.Add($"ERROR: {what} at 0x{offset:x} lies outside the image");
            return false;
        }

        for (var cluster = offset >> _clusterBits; cluster <= (offset + length - 1) >> _clusterBits; cluster++)
        {
            _references[cluster]++;
        }

        return true;
    }
}
