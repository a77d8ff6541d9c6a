using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Emulator.Machine.Memory;

namespace Emulator.Machine.Cpu;

/// <summary>
/// The one path from the CPU to guest memory (docs/cpu-memory-unit.md): linear addresses in,
/// physical accesses to <see cref="GuestMemory"/> out. With paging off the linear address is the
/// physical one and an access costs one flag test more than calling <see cref="GuestMemory"/>; with
/// paging on, a <see cref="Tlb"/> hit supplies the frame and a miss walks the tables
/// (<see cref="PageWalker"/>). A failed translation latches #PF (error code, CR2 address) in
/// <see cref="ExecutionCore.Fault"/> and returns false. An access that crosses a page translates both
/// pages before touching either, so a fault leaves memory unchanged.
/// </summary>
internal sealed class MemoryUnit : IPageMapListener
{
    private const uint PageSize = GuestMemory.PageSize;
    private const uint PageOffsetMask = GuestMemory.PageOffsetMask;
    private const int PageShift = PageEntry.TableShift;
    private const int UserPrivilege = 3;
    private const int ByteBits = 8;

    private readonly ExecutionCore _core;
    private readonly CpuRegisters _registers;
    private readonly GuestMemory _memory;
    private readonly AccessTlb _accessTlb = new();
    private readonly Tlb _tlb;
    private readonly PageWalker _walker;

    // Held here for the translated-code fast paths (never replaced: read once, not through their owners' accessors).
    private readonly SegmentCache[] _segments;
    private readonly byte[] _ram;
    private readonly PageFlags[] _pageFlags;

    /// <summary>The <see cref="AccessTlb"/> table of the current privilege (switched by <see cref="SyncMode"/>).</summary>
    private AccessEntry[] _access;
    private bool _paging;
    private bool _user;
    private uint _seenCr0;
    private uint _seenCr3;
    private uint _seenCr4;

    public MemoryUnit(ExecutionCore core, CpuRegisters registers, GuestMemory memory)
    {
        _core = core;
        _registers = registers;
        _memory = memory;
        _tlb = new Tlb(_accessTlb);
        _walker = new PageWalker(registers, memory, _tlb);
        _segments = registers.Seg;
        _ram = memory.Ram;
        _pageFlags = memory.PageTable;
        _access = _accessTlb.For(false);
        memory.MapListener = this;
    }

    /// <summary>The physical address space, for the decode cache's code-page bookkeeping.</summary>
    public GuestMemory Physical => _memory;

    /// <summary>True when CR0.PG (with PE) translates linear addresses.</summary>
    public bool Paging => _paging;

    /// <summary>
    /// Re-reads the translation mode from CR0 and the privilege (CPL 3 makes data and fetch accesses
    /// user accesses). Called after CR0, CR4 and CS change.
    /// </summary>
    public void SyncMode()
    {
        const uint PagingEnabled = ControlRegisters.Paging | ControlRegisters.ProtectionEnable;
        var paging = (_registers.CR0 & PagingEnabled) == PagingEnabled;
        if (paging != _paging)
        {
            // Entries made with paging off map linear = physical; the TLB flush that comes with the change drops
            // them too, but a mode is never allowed to see the other's.
            _accessTlb.DropAll();
        }

        _paging = paging;
        _user = _paging && _core.Cpl == UserPrivilege;
        _access = _accessTlb.For(_user);
        _seenCr0 = _registers.CR0;
        _seenCr3 = _registers.CR3;
        _seenCr4 = _registers.CR4;
    }

    /// <summary>
    /// Called when <see cref="X86Cpu.Run"/> starts: firmware and tests may have edited CR0, CR3, CR4 or
    /// CS through <see cref="CpuRegisters"/> between runs, which no instruction reported; a change of
    /// CR3 or of a paging bit of CR0/CR4 drops the whole TLB and reloads the PAE PDPTEs.
    /// </summary>
    public void Resync()
    {
        if (((_registers.CR0 ^ _seenCr0) & ControlRegisters.Cr0TlbBits) != 0
            || _registers.CR3 != _seenCr3
            || ((_registers.CR4 ^ _seenCr4) & ControlRegisters.Cr4TlbBits) != 0)
        {
            FlushAll();
            return;
        }

        SyncMode();
    }

    /// <summary>MOV CR3 (and task switches): drops non-global entries (all of them without CR4.PGE).</summary>
    public void OnCr3Load()
    {
        _tlb.FlushNonGlobal((_registers.CR4 & ControlRegisters.PageGlobalEnable) != 0);
        _walker.LoadPdptes();
        _seenCr3 = _registers.CR3;
    }

    /// <summary>CR0.PG/PE/WP or CR4.PSE/PAE/PGE changed, or reset: every entry goes, global ones too.</summary>
    public void FlushAll()
    {
        _tlb.FlushAll();
        _walker.LoadPdptes();
        SyncMode();
    }

    /// <summary>INVLPG.</summary>
    public void Invalidate(uint linear) => _tlb.Invalidate(linear >> PageShift);

    /// <summary>A data read at the current privilege.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryRead(uint linear, int size, out uint value)
    {
        if (!_paging)
        {
            value = ReadPhysical(linear, size);
            return true;
        }

        var paged = ReadPaged(linear, size, false, _user);
        value = (uint)paged;
        return paged >= 0;
    }

    /// <summary>The read half of a read-modify-write: translated with write intent, so the write that follows cannot fault.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadForWrite(uint linear, int size, out uint value)
    {
        if (!_paging)
        {
            value = ReadPhysical(linear, size);
            return true;
        }

        var paged = ReadPaged(linear, size, true, _user);
        value = (uint)paged;
        return paged >= 0;
    }

    /// <summary>A data write at the current privilege.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWrite(uint linear, int size, uint value)
    {
        if (!_paging)
        {
            WritePhysical(linear, size, value);
            return true;
        }

        return TryWritePaged(linear, size, value, _user);
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
            ref var entry = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_access), (int)((linear >> PageShift) & Tlb.SetMask));
            if ((write ? entry.WriteTag : entry.ReadTag) == (linear + (uint)(size - 1)) >> PageShift)
            {
                ref var at = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_ram), (nuint)(linear + entry.Addend));
                value = size switch
                {
                    1 => at,
                    2 => Unsafe.ReadUnaligned<ushort>(ref at),
                    _ => Unsafe.ReadUnaligned<uint>(ref at),
                };
                return true;
            }
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
    public bool TryWriteBackTranslated(uint linear, int size, uint value)
    {
        ref var entry = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_access), (int)((linear >> PageShift) & Tlb.SetMask));
        if (entry.WriteTag != (linear + (uint)(size - 1)) >> PageShift)
        {
            return false;
        }

        ref var at = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_ram), (nuint)(linear + entry.Addend));
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
    /// After the interpreter's path performed an access at <paramref name="linear"/> for translated code: caches in
    /// the <see cref="AccessTlb"/> what it proved, when the access stayed in one page of RAM or ROM — the frame
    /// from the <see cref="Tlb"/> entry the walk left (paging) or the A20-masked address itself, reads always,
    /// writes when the TLB holds the write right for this privilege and the page is RAM holding no decoded code.
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
        if (_paging)
        {
            if (!_tlb.TryLookup(page, false, _user, out frame))
            {
                return;
            }

            writable = _tlb.TryLookup(page, true, _user, out _);
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

        _accessTlb.Fill(_user, page, frame, writable && (flags & (PageFlags.Ram | PageFlags.Code)) == PageFlags.Ram);
    }

    void IPageMapListener.OnPageRemapped(uint page) => _accessTlb.DropFrame(page, writesOnly: false);

    void IPageMapListener.OnCodePageMarked(uint page) => _accessTlb.DropFrame(page, writesOnly: true);

    void IPageMapListener.OnAddressMaskChanged() => _accessTlb.DropAll();

    /// <summary>
    /// Everything <see cref="TryReadTranslated"/> does not do inline, called by translated code only after it
    /// answered false (with the block's progress count set first, as the access may reach a device): the
    /// interpreter's path, so the value, or -1 with the fault latched (a value rather than an out parameter,
    /// which would keep the block's local in memory across the whole block).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public long ReadTranslatedSlow(int segment, uint offset, int size, bool write)
    {
        if (!_core.TryLinear(segment, offset, size, out var linear))
        {
            return -1;
        }

        var value = _paging ? ReadPaged(linear, size, write, _user) : ReadPhysical(linear, size);
        if (value >= 0)
        {
            FillAccess(linear, size);
        }

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
        if (!TryWrite(linear, size, value))
        {
            return false;
        }

        FillAccess(linear, size);
        return true;
    }

    /// <summary>Proves a write of <paramref name="size"/> bytes would succeed (latching #PF if not) without writing.</summary>
    public bool TryCheckWrite(uint linear, int size)
    {
        if (!_paging)
        {
            return true;
        }

        if (!TryTranslate(linear, true, _user, out _))
        {
            return false;
        }

        var inPage = PageSize - (linear & PageOffsetMask);
        return inPage >= (uint)size || TryTranslate(linear + inPage, true, _user, out _);
    }

    /// <summary>A supervisor read whatever the CPL: descriptor tables, the IDT, the TSS.</summary>
    public bool TryReadSystem(uint linear, int size, out uint value)
    {
        if (!_paging)
        {
            value = ReadPhysical(linear, size);
            return true;
        }

        var paged = ReadPaged(linear, size, false, false);
        value = (uint)paged;
        return paged >= 0;
    }

    /// <summary>A supervisor write whatever the CPL: descriptor busy/accessed bits, the inner-privilege stack of an interrupt.</summary>
    public bool TryWriteSystem(uint linear, int size, uint value)
    {
        if (!_paging)
        {
            WritePhysical(linear, size, value);
            return true;
        }

        return TryWritePaged(linear, size, value, false);
    }

    /// <summary>
    /// Changes whenever a TLB entry is dropped: while it stays the same, a fetch translation proven earlier still
    /// holds (paging off, the linear-to-physical map changes only with A20, a device access, or CR0).
    /// </summary>
    public int FetchEpoch => _tlb.Epoch;

    /// <summary>The physical address of the instruction byte at <paramref name="linear"/> (A20 applied), for the decode cache.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryTranslateFetch(uint linear, out uint physical)
    {
        if (!_paging)
        {
            physical = linear & _memory.A20Mask;
            return true;
        }

        var paged = TranslateFetchPaged(linear);
        physical = (uint)paged;
        return paged >= 0;
    }

    /// <summary>
    /// <see cref="TryTranslateFetch"/> when it needs no page walk (paging off, or a TLB hit), with the
    /// same result and no side effect; false on a TLB miss, which must take <see cref="TryTranslateFetch"/>.
    /// The translating tier validates a chained successor block with it (docs/translating-cpu.md).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryTranslateFetchCached(uint linear, out uint physical)
    {
        if (!_paging)
        {
            physical = linear & _memory.A20Mask;
            return true;
        }

        if (_tlb.TryLookup(linear >> PageShift, false, _user, out var frame))
        {
            physical = (frame | (linear & PageOffsetMask)) & _memory.A20Mask;
            return true;
        }

        physical = 0;
        return false;
    }

    /// <summary>One instruction byte for the decoder.</summary>
    public bool TryFetchByte(uint linear, out byte value)
    {
        if (!TryTranslateFetch(linear, out var physical))
        {
            value = 0;
            return false;
        }

        value = _memory.ReadByte(physical);
        return true;
    }

    /// <summary>
    /// True when every page of <paramref name="length"/> bytes from <paramref name="linear"/> translates
    /// for the access without a fault (nothing is latched on failure): the REP INS/OUTS block path
    /// runs only then and otherwise leaves the run to the element loop, which faults precisely.
    /// </summary>
    public bool Probe(uint linear, ulong length, bool write)
    {
        if (!_paging)
        {
            return true;
        }

        var end = linear + length;
        for (ulong at = linear & ~PageOffsetMask; at < end; at += PageSize)
        {
            var page = (uint)at;
            if (!_tlb.TryLookup(page >> PageShift, write, _user, out _) && !_walker.TryWalk(page, write, _user, out _, out _))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Copies guest memory into <paramref name="destination"/> after a successful <see cref="Probe"/>.</summary>
    public void ReadBlock(uint linear, Span<byte> destination) => CopyBlock(linear, destination, default, false);

    /// <summary>Copies <paramref name="source"/> into guest memory after a successful <see cref="Probe"/>.</summary>
    public void WriteBlock(uint linear, ReadOnlySpan<byte> source) => CopyBlock(linear, default, source, true);

    /// <summary>
    /// Out of line, and returning the address (or -1 after latching the fault) rather than through an
    /// out parameter: a local whose address reaches a call is kept in memory on the fast path too.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long TranslateFetchPaged(uint linear)
    {
        if (!TryTranslate(linear, false, _user, out var physical))
        {
            return -1;
        }

        return physical & _memory.A20Mask;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint ReadPhysical(uint address, int size) => size switch
    {
        1 => _memory.ReadByte(address),
        2 => _memory.ReadWord(address),
        _ => _memory.ReadDword(address),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WritePhysical(uint address, int size, uint value)
    {
        switch (size)
        {
            case 1:
                _memory.WriteByte(address, (byte)value);
                break;
            case 2:
                _memory.WriteWord(address, (ushort)value);
                break;
            default:
                _memory.WriteDword(address, value);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryTranslate(uint linear, bool write, bool user, out uint physical)
    {
        if (_tlb.TryLookup(linear >> PageShift, write, user, out var frame))
        {
            physical = frame | (linear & PageOffsetMask);
            return true;
        }

        return TryTranslateSlow(linear, write, user, out physical);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryTranslateSlow(uint linear, bool write, bool user, out uint physical)
    {
        if (_walker.TryWalk(linear, write, user, out var frame, out var errorCode))
        {
            physical = frame | (linear & PageOffsetMask);
            return true;
        }

        physical = 0;
        return _core.Raise(ExceptionVector.PageFault, errorCode, linear);
    }

    /// <summary>A paged read: the value, or -1 after latching #PF (a return value, not an out parameter; see <see cref="TranslateFetchPaged"/>).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long ReadPaged(uint linear, int size, bool write, bool user)
    {
        if (!TryTranslate(linear, write, user, out var physical))
        {
            return -1;
        }

        var inPage = PageSize - (linear & PageOffsetMask);
        if (inPage >= (uint)size)
        {
            return ReadPhysical(physical, size);
        }

        if (!TryTranslate(linear + inPage, write, user, out var next))
        {
            return -1;
        }

        var value = 0u;
        for (var i = 0u; i < (uint)size; i++)
        {
            var at = i < inPage ? physical + i : next + (i - inPage);
            value |= (uint)_memory.ReadByte(at) << (int)(ByteBits * i);
        }

        return value;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryWritePaged(uint linear, int size, uint value, bool user)
    {
        if (!TryTranslate(linear, true, user, out var physical))
        {
            return false;
        }

        var inPage = PageSize - (linear & PageOffsetMask);
        if (inPage >= (uint)size)
        {
            WritePhysical(physical, size, value);
            return true;
        }

        if (!TryTranslate(linear + inPage, true, user, out var next))
        {
            return false;
        }

        for (var i = 0u; i < (uint)size; i++)
        {
            var at = i < inPage ? physical + i : next + (i - inPage);
            _memory.WriteByte(at, (byte)(value >> (int)(ByteBits * i)));
        }

        return true;
    }

    private void CopyBlock(uint linear, Span<byte> destination, ReadOnlySpan<byte> source, bool write)
    {
        var length = write ? source.Length : destination.Length;
        var done = 0;
        while (done < length)
        {
            var at = linear + (uint)done;
            var chunk = (int)Math.Min((uint)(length - done), PageSize - (at & PageOffsetMask));
            var physical = at;
            if (_paging && !TryTranslate(at, write, _user, out physical))
            {
                throw new InvalidOperationException("A block copy ran without a successful probe of its range.");
            }

            if (write)
            {
                _memory.Write(physical, source.Slice(done, chunk));
            }
            else
            {
                _memory.Read(physical, destination.Slice(done, chunk));
            }

            done += chunk;
        }
    }
}
