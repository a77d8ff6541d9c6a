using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Emulator.Machine.Cpu;

/// <summary>
/// The software TLB: direct-mapped, <see cref="Sets"/> sets indexed by linear page number. A set holds
/// one linear page and four tags, one per (supervisor/user × read/write) right the page walk proved;
/// a tag equals the page number when that access may use the cached frame without a walk. The write
/// tag is filled only when the page is writable for that privilege and already dirty, so the first
/// write to a clean page walks and sets D. Entries from 4 MiB pages are 4 KiB entries marked large so
/// INVLPG anywhere in the big page drops them (docs/cpu-memory-unit.md).
/// </summary>
internal sealed class Tlb
{
    /// <summary>256 sets reach 1 MiB of linear space, the working set of a kernel's hot paths.</summary>
    public const int Sets = 256;

    /// <summary>Set of a page number: its low bits (the <see cref="AccessTlb"/> indexes its sets the same way).</summary>
    internal const uint SetMask = Sets - 1;
    private const uint Invalid = uint.MaxValue;
    private const int TagsPerSet = 4;
    /// <summary>Offset of the write tags in the tag array.</summary>
    private const int WriteTag = Sets;

    /// <summary>Offset of the user tags in the tag array.</summary>
    private const int UserTag = 2 * Sets;
    private const int LargeShift = PageEntry.DirectoryShift - PageEntry.TableShift;

    /// <summary>Tag arrays laid out [user][write][set], page numbers or <see cref="Invalid"/>.</summary>
    private readonly uint[] _tags = new uint[TagsPerSet * Sets];
    private readonly uint[] _pages = new uint[Sets];
    private readonly uint[] _frames = new uint[Sets];
    private readonly bool[] _global = new bool[Sets];
    private readonly bool[] _large = new bool[Sets];
    private int _largeEntries;
    private readonly AccessTlb? _access;

    /// <summary>A TLB; <paramref name="access"/>, when given, loses a set whenever this one drops or refills it.</summary>
    public Tlb(AccessTlb? access = null)
    {
        _access = access;
        FlushAll();
    }

    /// <summary>
    /// Bumped whenever an entry is dropped or filled (flushes, INVLPG, every walk's fill): while it is unchanged,
    /// every translation and right the TLB held still holds, so a page proven once need not be probed again
    /// (the translating tier's same-page chaining, docs/translating-cpu.md).
    /// </summary>
    public int Epoch { get; private set; }

    /// <summary>The physical frame for <paramref name="page"/> when the access is already proven; false on a miss.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryLookup(uint page, bool write, bool user, out uint frame)
    {
        var set = (int)(page & SetMask);
        var slot = set + (write ? WriteTag : 0) + (user ? UserTag : 0);
        if (Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_tags), slot) == page)
        {
            frame = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_frames), set);
            return true;
        }

        frame = 0;
        return false;
    }

    /// <summary>Caches a walk's result: the rights it proved for each privilege and access.</summary>
    public void Fill(uint page, uint frame, bool supervisorWrite, bool userRead, bool userWrite, bool global, bool large)
    {
        Epoch++;
        var set = (int)(page & SetMask);
        if (_pages[set] != page || _frames[set] != frame)
        {
            InvalidateSet(set);
        }
        else
        {
            _access?.DropSet(set);
        }

        _pages[set] = page;
        _frames[set] = frame;
        _global[set] = global;
        if (large && !_large[set])
        {
            _large[set] = true;
            _largeEntries++;
        }

        _tags[set] = page;
        _tags[set + WriteTag] = supervisorWrite ? page : Invalid;
        _tags[set + UserTag] = userRead ? page : Invalid;
        _tags[set + UserTag + WriteTag] = userWrite ? page : Invalid;
    }

    /// <summary>MOV CR3: drops everything, or with CR4.PGE everything but global entries.</summary>
    public void FlushNonGlobal(bool keepGlobal)
    {
        for (var set = 0; set < Sets; set++)
        {
            if (!keepGlobal || !_global[set])
            {
                InvalidateSet(set);
            }
        }
    }

    /// <summary>Paging-mode changes: drops every entry, global ones included.</summary>
    public void FlushAll()
    {
        for (var set = 0; set < Sets; set++)
        {
            InvalidateSet(set);
        }
    }

    /// <summary>INVLPG: drops the entry for <paramref name="page"/> and every large-page entry from the same 4 MiB page.</summary>
    public void Invalidate(uint page)
    {
        var set = (int)(page & SetMask);
        if (_pages[set] == page)
        {
            InvalidateSet(set);
        }

        if (_largeEntries == 0)
        {
            return;
        }

        for (var other = 0; other < Sets; other++)
        {
            if (_large[other] && _pages[other] >> LargeShift == page >> LargeShift)
            {
                InvalidateSet(other);
            }
        }
    }

    private void InvalidateSet(int set)
    {
        Epoch++;
        _access?.DropSet(set);
        _pages[set] = Invalid;
        _global[set] = false;
        if (_large[set])
        {
            _large[set] = false;
            _largeEntries--;
        }

        for (var tag = 0; tag < TagsPerSet; tag++)
        {
            _tags[set + (tag * Sets)] = Invalid;
        }
    }
}
