namespace Emulator.Machine.Cpu;

/// <summary>
/// The translated-code TLB (docs/cpu-memory-unit.md): for each of <see cref="Tlb.Sets"/> sets, indexed by the
/// low bits of the linear page number as the <see cref="Tlb"/>'s are, a page whose RAM or ROM bytes a block may
/// read, and write, straight from the RAM array. One answer replaces the four questions of the general fast
/// path (paging on? TLB tag for this privilege and intent? the frame? the physical page's flags, A20): a hit
/// means the access is allowed at the current privilege, inside one page, and reaches memory with no side
/// effect. Entries are filled only after the interpreter's path performed the same kind of access, from what
/// that path proved; there is one table per privilege (supervisor, user), and every event that could take
/// a right away drops entries: the <see cref="Tlb"/> dropping a set (flushes, INVLPG, replacement), a
/// physical page remapped or now holding decoded code, the A20 gate moving.
/// </summary>
internal sealed class AccessTlb
{
    /// <summary>A tag no page number equals (page numbers have 20 bits).</summary>
    public const uint Invalid = uint.MaxValue;

    private const int PageShift = PageEntry.TableShift;

    private readonly AccessEntry[] _supervisor = new AccessEntry[Tlb.Sets];
    private readonly AccessEntry[] _user = new AccessEntry[Tlb.Sets];

    public AccessTlb() => DropAll();

    /// <summary>The table for an access at user (CPL 3 with paging) or supervisor privilege; never replaced.</summary>
    public AccessEntry[] For(bool user) => user ? _user : _supervisor;

    /// <summary>
    /// Records that <paramref name="page"/> reads from the RAM array at <paramref name="frame"/> (a physical page
    /// address, A20 applied) for this privilege, and is written there too when <paramref name="writable"/>.
    /// </summary>
    public void Fill(bool user, uint page, uint frame, bool writable)
    {
        ref var entry = ref For(user)[(int)(page & Tlb.SetMask)];
        entry.ReadTag = page;
        entry.WriteTag = writable ? page : Invalid;
        entry.Addend = frame - (page << PageShift);
    }

    /// <summary>The <see cref="Tlb"/> dropped a set: whatever either table held there may no longer hold.</summary>
    public void DropSet(int set)
    {
        _supervisor[set] = AccessEntry.Empty;
        _user[set] = AccessEntry.Empty;
    }

    public void DropAll()
    {
        Array.Fill(_supervisor, AccessEntry.Empty);
        Array.Fill(_user, AccessEntry.Empty);
    }

    /// <summary>Drops every entry that reaches physical page <paramref name="physicalPage"/>, or only its write right.</summary>
    public void DropFrame(uint physicalPage, bool writesOnly)
    {
        Drop(_supervisor, physicalPage, writesOnly);
        Drop(_user, physicalPage, writesOnly);
    }

    private static void Drop(AccessEntry[] table, uint physicalPage, bool writesOnly)
    {
        for (var set = 0; set < table.Length; set++)
        {
            ref var entry = ref table[set];
            if (entry.ReadTag != Invalid && ((entry.ReadTag << PageShift) + entry.Addend) >> PageShift == physicalPage)
            {
                if (writesOnly)
                {
                    entry.WriteTag = Invalid;
                }
                else
                {
                    entry = AccessEntry.Empty;
                }
            }
        }
    }
}
