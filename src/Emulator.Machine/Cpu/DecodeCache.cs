using System.Runtime.CompilerServices;
using Emulator.Machine.Memory;
using Iced.Intel;

namespace Emulator.Machine.Cpu;

/// <summary>
/// Decoded instructions cached per 4 KiB physical page, keyed by physical address and code size: the
/// fetch address is translated by the <see cref="MemoryUnit"/> first, so linear aliases share decoded
/// code and CR3 loads invalidate nothing. A page with cached code is marked in
/// <see cref="GuestMemory"/>; a write (CPU through any alias, DMA, or a remap) that touches bytes cached
/// instructions were decoded from drops those instructions (not the page: data beside code stays cheap), so
/// self-modifying code and code loaded by DMA are seen. A fetch that
/// faults returns an entry whose op is <see cref="Op.FetchFault"/>, the fault latched in the core.
/// Instructions that cross a page boundary or the end of the code segment are decoded every time
/// instead of cached, which keeps invalidation to a single page.
/// </summary>
internal sealed class DecodeCache : ICodeWriteListener
{
    private const int DirectoryShift = 10;
    private const int DirectorySize = 1 << (32 - GuestMemory.PageShift - DirectoryShift);
    private const int LeafSize = 1 << DirectoryShift;
    private const uint LeafMask = LeafSize - 1;
    private const int MaxInstructionLength = 15;
    private const uint Offset16Mask = 0xFFFF;
    private const uint Offset32Mask = 0xFFFF_FFFF;

    private static readonly DecoderOptions Options = DecoderOptions.NoMPFX_0FBC | DecoderOptions.NoMPFX_0FBD | DecoderOptions.NoPause;

    private readonly ExecutionCore _core;
    private readonly GuestMemory _memory;
    private readonly MemoryUnit _mmu;
    private readonly GuestCodeReader _reader;
    private readonly Decoder _decoder16;
    private readonly Decoder _decoder32;
    private readonly CodePage?[]?[] _directory = new CodePage?[]?[DirectorySize];
    private DecodedInstruction _uncached;
    private DecodedInstruction _fetchFault = new() { Op = Op.FetchFault };
    private CodePage? _lastPage;
    private uint _lastPageNumber = uint.MaxValue;

    /// <summary>
    /// Called with the physical page number, page offset and length of a write that touched decoded code
    /// (the whole page when the page is rebuilt): the translating tier drops the blocks it overlaps.
    /// </summary>
    public Action<uint, int, int>? CodeWritten { get; set; }

    public DecodeCache(ExecutionCore core)
    {
        _core = core;
        _mmu = core.Mmu;
        _memory = _mmu.Physical;
        _reader = new GuestCodeReader(_mmu);
        _decoder16 = Decoder.Create(16, _reader, 0, Options);
        _decoder32 = Decoder.Create(32, _reader, 0, Options);
        _memory.CodeListener = this;
    }

    /// <summary>Returns the decoded instruction at CS:EIP; a <see cref="Op.FetchFault"/> entry with #GP latched if it does not fit below the CS limit, or #PF if its bytes do not translate.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref DecodedInstruction Fetch(in SegmentCache cs, uint eip)
    {
        if (cs.Limit - eip < MaxInstructionLength || eip > cs.Limit)
        {
            return ref DecodeUncached(cs, eip);
        }

        if (!_mmu.TryTranslateFetch(cs.Base + eip, out var physical))
        {
            return ref _fetchFault;
        }

        var pageNumber = physical >> GuestMemory.PageShift;
        var page = pageNumber == _lastPageNumber ? _lastPage! : PageFor(pageNumber);
        var offset = (int)(physical & GuestMemory.PageOffsetMask);
        var index = page.Map(cs.Big)[offset];
        if (index != 0)
        {
            return ref page.Entries[index - 1];
        }

        return ref DecodeInto(page, pageNumber, offset, cs, eip);
    }

    /// <summary>Drops every cached page (used on reset).</summary>
    public void Flush()
    {
        foreach (var leaf in _directory)
        {
            if (leaf is null)
            {
                continue;
            }

            for (var i = 0; i < leaf.Length; i++)
            {
                if (leaf[i] is { Count: > 0 } page)
                {
                    page.Clear();
                }
            }
        }
    }

    public void OnCodeWrite(uint address, int length)
    {
        var pageNumber = address >> GuestMemory.PageShift;
        var leaf = _directory[pageNumber >> DirectoryShift];
        if (leaf?[pageNumber & LeafMask] is not { } page)
        {
            _memory.ClearCodePage(pageNumber);
            return;
        }

        var offset = (int)(address & GuestMemory.PageOffsetMask);
        length = Math.Min(length, GuestMemory.PageSize - offset);
        if (length > 0 && page.TouchesCode(offset, length))
        {
            page.Forget(offset, length);
            CodeWritten?.Invoke(pageNumber, offset, length);
        }
    }

    private CodePage PageFor(uint pageNumber)
    {
        var leaf = _directory[pageNumber >> DirectoryShift] ??= new CodePage?[LeafSize];
        var page = leaf[pageNumber & LeafMask] ??= new CodePage();
        _lastPage = page;
        _lastPageNumber = pageNumber;
        return page;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private ref DecodedInstruction DecodeInto(CodePage page, uint pageNumber, int offset, in SegmentCache cs, uint eip)
    {
        if (!Decode(cs, eip, out var instruction))
        {
            return ref _fetchFault;
        }

        if (offset + instruction.Length > GuestMemory.PageSize)
        {
            OpDecoder.Fill(instruction, ref _uncached);
            return ref _uncached;
        }

        if (page.Full)
        {
            page.Clear();
            CodeWritten?.Invoke(pageNumber, 0, GuestMemory.PageSize);
        }

        ref var slot = ref page.Add(cs.Big, offset, instruction.Length);
        OpDecoder.Fill(instruction, ref slot);
        _memory.MarkCodePage(pageNumber);
        return ref slot;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private ref DecodedInstruction DecodeUncached(in SegmentCache cs, uint eip)
    {
        if (eip > cs.Limit)
        {
            _core.RaiseGeneralProtection(0);
            return ref _fetchFault;
        }

        if (!Decode(cs, eip, out var instruction))
        {
            return ref _fetchFault;
        }

        if (eip + (uint)instruction.Length - 1 > cs.Limit)
        {
            _core.RaiseGeneralProtection(0);
            return ref _fetchFault;
        }

        OpDecoder.Fill(instruction, ref _uncached);
        return ref _uncached;
    }

    /// <summary>Decodes at CS:EIP; false when an instruction byte did not translate (#PF latched).</summary>
    private bool Decode(in SegmentCache cs, uint eip, out Instruction instruction)
    {
        _reader.Faulted = false;
        _reader.SegmentBase = cs.Base;
        _reader.Offset = eip;
        _reader.OffsetMask = cs.Big ? Offset32Mask : Offset16Mask;
        var decoder = cs.Big ? _decoder32 : _decoder16;
        decoder.IP = eip;
        decoder.Decode(out instruction);
        return !_reader.Faulted;
    }
}
