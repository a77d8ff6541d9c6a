using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Emulator.Machine.Memory;

namespace Emulator.Machine.Cpu;

/// <summary>
/// Translated code's way to guest memory (docs/cpu-memory-unit.md): blocks call these methods directly on the
/// CPU's one instance (<c>BlockRuntime.Mmu</c>). The fast paths are inlined into every block and probe the <see cref="AccessTlb"/>
/// of the current privilege; what they decline goes through <see cref="MemoryUnit"/>'s interpreter paths, which
/// then refill the entry. This class also hears from <see cref="GuestMemory"/> (<see cref="IPageMapListener"/>)
/// what must be dropped when pages are remapped, come to hold code, or the A20 gate moves.
/// </summary>
internal sealed class TranslatedMemory : IPageMapListener
{
    private const int PageShift = PageEntry.TableShift;

    private readonly MemoryUnit _unit;
    private readonly ExecutionCore _core;
    private readonly GuestMemory _memory;
    private readonly AccessTlb _tlb;

    // Never replaced: held here so the inlined paths read them once, not through their owners' accessors.
    private readonly SegmentCache[] _segments;
    private readonly byte[] _ram;
    private readonly PageFlags[] _pageFlags;

    /// <summary>The <see cref="AccessTlb"/> table of the current privilege (<see cref="OnModeChanged"/>).</summary>
    private AccessEntry[] _access;

    public TranslatedMemory(MemoryUnit unit, ExecutionCore core, SegmentCache[] segments, GuestMemory memory, AccessTlb tlb)
    {
        _unit = unit;
        _core = core;
        _memory = memory;
        _tlb = tlb;
        _segments = segments;
        _ram = memory.Ram;
        _pageFlags = memory.PageTable;
        _access = tlb.For(false);
        memory.MapListener = this;
    }

    /// <summary>
    /// Translated code's read of <paramref name="size"/> bytes at <paramref name="segment"/>:<paramref name="offset"/>
    /// (docs/translating-cpu.md), with write intent for the read of a read-modify-write; <paramref name="linear"/> is
    /// the address <see cref="TryWriteBackTranslated"/> then writes. Inlined into every block at every access, so
    /// it is written flat: inside the limit, one probe of the <see cref="AccessTlb"/> for the current privilege
    /// (whose tag also fails an access that crosses into the next page) and the RAM array. Anything else answers
    /// false with no effect, and the block then sets its progress count and calls <see cref="ReadTranslatedSlow"/>,
    /// the interpreter's path (so the count is written only when an access may reach a device), which refills the
    /// entry. A hit only ever does what that path would do in the same case, so the result, faults and counters
    /// are the interpreter's. <paramref name="linear"/> is set on both answers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadTranslated(int segment, uint offset, int size, bool write, out uint linear, out uint value)
    {
        ref var s = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_segments), segment);
        linear = s.Base + offset;
        if (offset <= s.Limit - (uint)(size - 1))
        {
            return TryReadLinear(linear, size, write, out value);
        }

        value = 0;
        return false;
    }

    /// <summary>
    /// <see cref="TryReadTranslated"/> after the segment step, for a block keyed with flat data segments (DS, ES
    /// and SS at base 0 with a 4 GiB limit: docs/translating-cpu.md), whose offset is the linear address. The
    /// one limit case left, an access that runs past FFFFFFFF, wraps its last byte's page to page 0, whose tag no
    /// entry of this set can hold, so it misses and the interpreter's path raises the fault.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadLinear(uint linear, int size, bool write, out uint value) => ReadLinearIn(_access, _ram, linear, size, write, out value);

    /// <summary>
    /// The access table of the current privilege (<see cref="OnModeChanged"/>), for a block to hold in a local: it changes
    /// only with the privilege, paging or the A20 gate, none of which can move inside a block.
    /// </summary>
    public AccessEntry[] AccessTable => _access;

    /// <summary>Guest RAM, for a block to hold in a local (never replaced).</summary>
    public byte[] Ram => _ram;

    /// <summary><see cref="TryReadLinear"/> with the <see cref="AccessTable"/> and <see cref="Ram"/> a block loaded once on entry.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool ReadLinearIn(AccessEntry[] access, byte[] ram, uint linear, int size, bool write, out uint value)
    {
        ref var entry = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(access), (int)((linear >> PageShift) & Tlb.SetMask));
        if ((write ? entry.WriteTag : entry.ReadTag) == (linear + (uint)(size - 1)) >> PageShift)
        {
            ref var at = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(ram), (nuint)(linear + entry.Addend));
            value = size switch
            {
                1 => at,
                2 => Unsafe.ReadUnaligned<ushort>(ref at),
                _ => Unsafe.ReadUnaligned<uint>(ref at),
            };
            return true;
        }

        value = 0;
        return false;
    }

    /// <summary>Translated code's write (see <see cref="TryReadTranslated"/>): an <see cref="AccessTlb"/> write hit, or false.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWriteTranslated(int segment, uint offset, int size, uint value)
    {
        ref var s = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_segments), segment);
        return offset <= s.Limit - (uint)(size - 1) && TryWriteBackTranslated(s.Base + offset, size, value);
    }

    /// <summary>The write of a read-modify-write after <see cref="TryReadTranslated"/> with write intent proved it (see there).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWriteBackTranslated(uint linear, int size, uint value) => WriteLinearIn(_access, _ram, linear, size, value);

    /// <summary><see cref="TryWriteBackTranslated"/> with the <see cref="AccessTable"/> and <see cref="Ram"/> a block loaded once on entry.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool WriteLinearIn(AccessEntry[] access, byte[] ram, uint linear, int size, uint value)
    {
        ref var entry = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(access), (int)((linear >> PageShift) & Tlb.SetMask));
        if (entry.WriteTag != (linear + (uint)(size - 1)) >> PageShift)
        {
            return false;
        }

        ref var at = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(ram), (nuint)(linear + entry.Addend));
        switch (size)
        {
            case 1:
                at = (byte)value;
                break;
            case 2:
                Unsafe.WriteUnaligned(ref at, (ushort)value);
                break;
            default:
                Unsafe.WriteUnaligned(ref at, value);
                break;
        }

        return true;
    }

    /// <summary>
    /// After the interpreter's path performed an access at <paramref name="linear"/>: caches in the
    /// <see cref="AccessTlb"/> what it proved, when the access stayed in one page of RAM or ROM — the frame from the
    /// <see cref="Tlb"/> entry the walk left (paging) or the A20-masked address itself, reads always, writes when
    /// the TLB holds the write right for this privilege and the page is RAM holding no decoded code.
    /// </summary>
    private void FillAccess(uint linear, int size)
    {
        var page = linear >> PageShift;
        if ((linear + (uint)(size - 1)) >> PageShift != page)
        {
            return;
        }

        uint frame;
        var writable = true;
        if (_unit.Paging)
        {
            if (!_unit.TryCachedFrame(page, false, out frame))
            {
                return;
            }

            writable = _unit.TryCachedFrame(page, true, out _);
        }
        else
        {
            frame = page << PageShift;
        }

        frame &= _memory.A20Mask;
        var flags = _pageFlags[frame >> PageShift];
        if ((flags & PageFlags.DirectRead) == 0)
        {
            return;
        }

        _tlb.Fill(_unit.User, page, frame, writable && (flags & (PageFlags.Ram | PageFlags.Code)) == PageFlags.Ram);
    }

    void IPageMapListener.OnPageRemapped(uint page) => _tlb.DropFrame(page, writesOnly: false);

    void IPageMapListener.OnCodePageMarked(uint page) => _tlb.DropFrame(page, writesOnly: true);

    void IPageMapListener.OnAddressMaskChanged() => _tlb.DropAll();

    /// <summary>
    /// Everything <see cref="TryReadTranslated"/> does not do inline, called by translated code only after it
    /// answered false (with the block's progress count set first, as the access may reach a device): the
    /// interpreter's path, so the value, or -1 with the fault latched (a value rather than an out parameter,
    /// which would keep the block's local in memory across the whole block).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public long ReadTranslatedSlow(int segment, uint offset, int size, bool write)
    {
        if (!_core.TryLinear(segment, offset, size, out var linear)
            || !(write ? _unit.TryReadForWrite(linear, size, out var value) : _unit.TryRead(linear, size, out value)))
        {
            return -1;
        }

        FillAccess(linear, size);
        return value;
    }

    /// <summary>The interpreter's path for a write <see cref="TryWriteTranslated"/> declined (see <see cref="ReadTranslatedSlow"/>).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public bool TryWriteTranslatedSlow(int segment, uint offset, int size, uint value) =>
        _core.TryLinear(segment, offset, size, out var linear) && TryWriteBackTranslatedSlow(linear, size, value);

    /// <summary>The interpreter's path for a write-back <see cref="TryWriteBackTranslated"/> declined.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public bool TryWriteBackTranslatedSlow(uint linear, int size, uint value)
    {
        if (!_unit.TryWrite(linear, size, value))
        {
            return false;
        }

        FillAccess(linear, size);
        return true;
    }

    /// <summary>
    /// <see cref="MemoryUnit.SyncMode"/> ran: the table of the current privilege is the one probed; entries made with
    /// paging off map linear = physical, so a paging change drops them (the TLB flush that comes with it does too,
    /// but neither mode may ever see the other's).
    /// </summary>
    public void OnModeChanged(bool pagingChanged)
    {
        if (pagingChanged)
        {
            _tlb.DropAll();
        }

        _access = _tlb.For(_unit.User);
    }
}
