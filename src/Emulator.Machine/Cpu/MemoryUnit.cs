using System.Runtime.CompilerServices;
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
internal sealed class MemoryUnit
{
    private const uint PageSize = GuestMemory.PageSize;
    private const uint PageOffsetMask = GuestMemory.PageOffsetMask;
    private const int PageShift = PageEntry.TableShift;
    private const int UserPrivilege = 3;
    private const int ByteBits = 8;

    private readonly ExecutionCore _core;
    private readonly CpuRegisters _registers;
    private readonly GuestMemory _memory;
    private readonly Tlb _tlb;
    private readonly PageWalker _walker;
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
        var access = new AccessTlb();
        _tlb = new Tlb(access);
        _walker = new PageWalker(registers, memory, _tlb);
        Translated = new TranslatedMemory(this, core, registers.Seg, memory, access);
    }

    /// <summary>Translated code's way to memory: the <see cref="AccessTlb"/> fast paths and their way back to this unit.</summary>
    public TranslatedMemory Translated { get; }

    /// <summary>The physical address space, for the decode cache's code-page bookkeeping.</summary>
    public GuestMemory Physical => _memory;

    /// <summary>True when CR0.PG (with PE) translates linear addresses.</summary>
    public bool Paging => _paging;

    /// <summary>True when data accesses are user accesses (CPL 3 with paging).</summary>
    public bool User => _user;

    /// <summary>
    /// Re-reads the translation mode from CR0 and the privilege (CPL 3 makes data and fetch accesses
    /// user accesses). Called after CR0, CR4 and CS change.
    /// </summary>
    public void SyncMode()
    {
        const uint PagingEnabled = ControlRegisters.Paging | ControlRegisters.ProtectionEnable;
        var paging = (_registers.CR0 & PagingEnabled) == PagingEnabled;
        var pagingChanged = paging != _paging;
        _paging = paging;
        _user = _paging && _core.Cpl == UserPrivilege;
        Translated.OnModeChanged(pagingChanged);
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

    /// <summary>The frame the TLB holds for <paramref name="page"/> when this access at the current privilege needs no walk.</summary>
    public bool TryCachedFrame(uint page, bool write, out uint frame) => _tlb.TryLookup(page, write, _user, out frame);

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
            if (!TryProbePhysical((uint)at, write, out _))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The A20-masked physical address of <paramref name="linear"/> for a data access at the current privilege,
    /// when it translates without a fault; nothing is latched otherwise (the caller then takes the per-element
    /// path, which faults precisely). A walk sets the accessed and dirty bits the access itself would.
    /// </summary>
    public bool TryProbePhysical(uint linear, bool write, out uint physical)
    {
        var frame = linear & ~PageOffsetMask;
        if (_paging && !_tlb.TryLookup(linear >> PageShift, write, _user, out frame) && !_walker.TryWalk(linear, write, _user, out frame, out _))
        {
            physical = 0;
            return false;
        }

        physical = (frame | (linear & PageOffsetMask)) & _memory.A20Mask;
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
