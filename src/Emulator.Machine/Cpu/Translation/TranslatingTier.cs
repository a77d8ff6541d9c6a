using System.Runtime.CompilerServices;
using Emulator.Machine.Memory;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// The translating tier's dispatcher and cache (docs/translating-cpu.md). At each instruction boundary
/// the interpreter loop asks <see cref="TryRun"/> for a block at CS:EIP: the fetch address is
/// translated as the interpreter's fetch does, the block is looked up by physical address and
/// CS/SS size in a two-way set-associative table of <see cref="TableSize"/> entries, which is also the cache limit
/// (a new key evicts the least recently found block of its set). A key is compiled once it has been seen
/// <see cref="Threshold"/> times. A write into decoded code (<see cref="DecodeCache.CodeWritten"/>: CPU writes
/// through any alias, DMA, remaps) drops the blocks whose bytes it overlaps, with the decoded instructions there.
/// </summary>
internal sealed class TranslatingTier
{
    /// <summary>
    /// Entries before a block is compiled. Expression-tree compilation costs milliseconds per block
    /// (measured 29 ms per block on this loaded 2-core machine during a FreeDOS boot: 683 blocks, 19.6 s),
    /// the price of tens of thousands of interpreted instructions, so only blocks that clearly loop are worth it.
    /// The first 4096 entries of each block are 6.1% of a Linux boot's instructions, all interpreted; 1024 was
    /// tried, but with superblocks and inline flags (about twice the IL per block) the Linux boot then compiled
    /// 50 026 blocks instead of 8 603 and a third of its instructions waited for the compiler thread. With blocks of
    /// up to 64 instructions and branches inside them (fewer, longer blocks), 2048 left 1.11% of the boot's instructions
    /// below the threshold instead of 1.59% for 0.33% instead of 0.2% waiting for the compiler, and the boot ran in
    /// 77-79 s against 85-93 s (docs/translating-cpu.md, "Fourteenth pass").
    /// </summary>
    public const int DefaultThreshold = 2048;

    /// <summary>Table slots, and so the most blocks alive at once.</summary>
    public const int TableSize = 1 << TableBits;

    /// <summary>
    /// Drops of one block key after which it is only interpreted: code that rewrites itself (DOS patching
    /// the INT number it calls next) would otherwise pay a compilation for every few dozen instructions.
    /// Counted per key, not per page, since a write drops only the blocks it overlaps: the rest of the page
    /// stays translated. QEMU's answer to the same pattern is single-instruction blocks for such pages.
    /// </summary>
    public const int DefaultDropLimit = 4;

    private const int TableBits = 14;

    /// <summary>
    /// Blocks per set of the table, the most recently found first. Direct-mapped, 15 750–16 149 blocks of a Linux
    /// self-test boot were evicted by another key of their slot (an evicted key that comes back waits for another
    /// 4096 entries and a new formation); with two ways and the same slots, so the same bound on blocks alive, 5 192.
    /// </summary>
    private const int Ways = 2;
    private const int SetBits = TableBits - 1;
    private const int ModeBits = 3;

    /// <summary>The key's mode bits (<see cref="Mode"/>): 32-bit code, 32-bit stack, and DS, ES and SS all flat (<see cref="EmitContext.FlatData"/>).</summary>
    private const uint CodeBigMode = 1;
    private const uint StackBigMode = 2;
    private const uint FlatDataMode = 4;
    private const uint FibonacciHash = 2654435761u;

    /// <summary>Entry counters: 4× the slots, indexed by a second multiplicative hash; keys sharing one only warm up sooner.</summary>
    private const int HeatBits = 16;
    private const uint HeatHash = 0x85EB_CA6Bu;
    private const int MaxInstructionLength = 15;
    private const uint Ip16Limit = 0xFFFF;
    private const byte RunContinues = 1;
    private const byte RunEnds = 2;

    private readonly ExecutionCore _core;
    private readonly DecodeCache _cache;
    private readonly BlockRuntime _runtime;
    private readonly Slot[] _table = new Slot[TableSize];
    private readonly int[] _heat = new int[1 << HeatBits];
    private readonly Dictionary<uint, List<TranslatedBlock>> _byPage = [];
    private readonly List<BlockInstruction> _scratch = new(BlockBuilder.MaxInstructions);
    private readonly Dictionary<ulong, int> _drops = [];
    private readonly long[] _interpretedByReason = new long[Enum.GetValues<InterpretReason>().Length];
    private readonly CompiledCodeCache _compiled = new();
    private readonly BlockCompilation _compilation = new();
    private InterpretReason _lastReason;
    private long _formTicks;
    private TranslatedBlock? _previous;

    public TranslatingTier(ExecutionCore core, DecodeCache cache, Dispatcher dispatcher)
    {
        _core = core;
        _cache = cache;
        _runtime = new BlockRuntime(core, core.Mmu.Physical, dispatcher);
        cache.CodeWritten = OnCodeWritten;
    }

    public int Threshold { get; set; } = DefaultThreshold;

    /// <summary>Drops of a block key after which it is only interpreted (<see cref="DefaultDropLimit"/>).</summary>
    public int DropLimit { get; set; } = DefaultDropLimit;

    public long Translated { get; private set; }

    public long InstructionsRun { get; private set; }

    /// <summary>Instructions translated blocks ran through the interpreter's handler, by <see cref="Op"/> (+256 when REP-prefixed).</summary>
    public long[] InterpretedInsideByOp => _runtime.InterpretedByOp;

    public long Evicted { get; private set; }

    /// <summary>Invalidations by code writes that dropped translated blocks, and the blocks they dropped.</summary>
    public long Drops { get; private set; }

    /// <summary>Translated blocks dropped by code writes (<see cref="Drops"/>).</summary>
    public long BlocksDropped { get; private set; }

    /// <summary>Instructions left to the interpreter at a boundary the tier was asked about, by <see cref="InterpretReason"/>.</summary>
    public long[] InterpretedByReason => _interpretedByReason;

    /// <summary>Full lookups (fetch translation and table probe): where no chain link was followed and the interpreter asked.</summary>
    public long Lookups { get; private set; }

    /// <summary>Block entries (a self-looping block's extra passes inside one entry are not counted).</summary>
    public long BlocksRun { get; private set; }

    /// <summary>
    /// Blocks entered through a predecessor's link instead of the full lookup (block chaining,
    /// docs/translating-cpu.md): at the next boundary, or straight after the predecessor when it touched
    /// no device and dropped no code.
    /// </summary>
    public long Chained { get; private set; }

    /// <summary>Full lookups that found a block, by why no link was followed (<see cref="ChainMiss"/>).</summary>
    public long[] ChainMisses { get; } = new long[(int)ChainMiss.OtherKey + 1];

    /// <summary>Host time spent forming and compiling blocks, by phase (the tier's translation cost).</summary>
    public TranslationCost Cost =>
        new(_compilation.Blocks, BlockCompilation.Elapsed(_formTicks), _compilation.Build, _compilation.Compile, _compilation.Jit, _compilation.IlBytes, _compilation.Skipped);

    /// <summary>
    /// Compile blocks on the block compiler's thread (<see cref="BackgroundCompiler"/>) and interpret them
    /// until their code is ready, instead of compiling on the machine thread when they become hot.
    /// </summary>
    public bool Background { get; set; }

    /// <summary>Blocks whose compiled code was reused from earlier blocks with the same bytes (<see cref="CompiledCodeCache"/>).</summary>
    public long Reused => _compiled.Reused;

    /// <summary>
    /// Runs the block at CS:EIP if one is compiled and fits: its instructions stay inside the CS limit
    /// (as the interpreter's cached fetch requires) and the budget <paramref name="max"/> − <paramref name="done"/>
    /// (so virtual time is not overshot). <paramref name="ran"/> counts instructions as the interpreter
    /// would, a faulting one included. After a block that touched no device and dropped no code, its
    /// validated chain link is followed here, as a block looping to itself goes round (see
    /// <see cref="Chained"/>); otherwise control goes back to the interpreter loop's boundary checks.
    /// </summary>
    public BlockOutcome TryRun(long done, long max, out long ran)
    {
        ran = 0;
        ref var cs = ref _core.Seg[ExecutionCore.Cs];
        var eip = _core.R.EIP;
        var linear = cs.Base + eip;
        var mode = Mode(cs);
        var previous = _previous;
        _previous = null;
        var block = ValidSuccessor(previous, linear, mode);
        ChainMiss? miss = null;
        if (block is null)
        {
            block = Lookup(cs, eip, linear, mode, out var missed);
            if (block is null)
            {
                return NotRun(missed);
            }

            miss = Miss(previous, linear, mode);
            if (previous is { Valid: true } && block.Count > 0)
            {
                previous.Link(linear, block);
            }
        }
        else
        {
            Chained++;
        }

        if (!Fits(block, cs, eip, done, max))
        {
            return NotRun(Why(block, cs, eip, done, max));
        }

        // Counted only for a block that runs: a lookup that ends in the interpreter is not a missed chain.
        if (miss is { } reason)
        {
            ChainMisses[(int)reason]++;
        }

        // The chain below runs in one code segment and stack size: CS and SS loads never happen inside a block.
        var runtime = _runtime;
        var mmu = _core.Mmu;
        var csBase = cs.Base;

        // The linear page of the entered block's first byte and the physical page it was just proven to map to
        // (by the lookup or the link validation), with the TLB epoch of that proof: see ChainedSuccessor.
        var pageLinear = linear & ~GuestMemory.PageOffsetMask;
        var pagePhysical = (uint)(block.Key >> ModeBits) & ~GuestMemory.PageOffsetMask;
        var epoch = mmu.FetchEpoch;
        long counted = 0;
        long entries = 0;
        long chained = 0;
        var outcome = BlockOutcome.Completed;
        while (true)
        {
            runtime.EntryEip = eip;
            runtime.Budget = max - done - counted;
            runtime.ProgressBase = done + counted;
            entries++;
            var result = block.Code!(runtime);
            if (result < 0)
            {
                counted += ~result + 1;
                outcome = BlockOutcome.Faulted;
                break;
            }

            counted += result;

            // A device access may have raised an interrupt or asked for a stop, and a code write may have
            // dropped blocks: those go back to the interpreter loop, which checks them at this boundary.
            // Otherwise nothing the boundary checks read can have changed (IF, TF and the shadows change
            // only in interpreted instructions), exactly as when a block loops to itself.
            if (runtime.Disturbed)
            {
                _previous = block;
                break;
            }

            eip = _core.R.EIP;
            linear = csBase + eip;
            var next = block.Successor(linear);
            if (next is not { Valid: true })
            {
                _previous = block;
                break;
            }

            // QEMU's rule for a jump inside one page: the entered block's page mapping was proven when it was
            // entered, and an unchanged TLB epoch says no entry was dropped or refilled since (MOV CR3, INVLPG,
            // CR0/CR4 writes are never translated; A20 moves only through a device, which ends the chain above),
            // so the fetch translation TryTranslateFetchCached would give is that page's, without the probe.
            uint physical;
            if ((linear & ~GuestMemory.PageOffsetMask) == pageLinear && mmu.FetchEpoch == epoch)
            {
                physical = pagePhysical | (linear & GuestMemory.PageOffsetMask);
            }
            else if (mmu.TryTranslateFetchCached(linear, out physical))
            {
                pageLinear = linear & ~GuestMemory.PageOffsetMask;
                pagePhysical = physical & ~GuestMemory.PageOffsetMask;
                epoch = mmu.FetchEpoch;
            }
            else
            {
                _previous = block;
                break;
            }

            if (next.Key != Key(physical, mode) || !Fits(next, cs, eip, done + counted, max))
            {
                _previous = block;
                break;
            }

            chained++;
            block = next;
        }

        ran = counted;
        InstructionsRun += counted;
        BlocksRun += entries;
        Chained += chained;
        return outcome;
    }

    /// <summary>
    /// <paramref name="previous"/>'s link for <paramref name="linear"/> when it is provably the block the full
    /// lookup would find: still valid (a valid block is the only live one for its key) and keyed by the
    /// physical address the fetch translates to now without a walk (paging off, or a TLB hit) and the
    /// current CS/SS sizes. Null otherwise: the full lookup decides.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TranslatedBlock? ValidSuccessor(TranslatedBlock? previous, uint linear, uint mode)
    {
        var block = previous?.Successor(linear);
        return block is { Valid: true }
            && _core.Mmu.TryTranslateFetchCached(linear, out var physical)
            && block.Key == Key(physical, mode)
            ? block
            : null;
    }

    /// <summary>Why <see cref="ValidSuccessor"/> gave nothing for <paramref name="previous"/>'s link at <paramref name="linear"/> (it failed one of these).</summary>
    private ChainMiss Miss(TranslatedBlock? previous, uint linear, uint mode)
    {
        var link = previous?.Successor(linear);
        return previous is null ? ChainMiss.NoPredecessor
            : link is null ? ChainMiss.NoLink
            : !link.Valid ? ChainMiss.Dropped
            : !_core.Mmu.TryTranslateFetchCached(linear, out var physical) ? ChainMiss.TlbMiss
            : ChainMiss.OtherKey;
    }

    /// <summary>A block's identity: its physical address and the <see cref="Mode"/> it was translated for.</summary>
    private static ulong Key(uint physical, uint mode) => ((ulong)physical << ModeBits) | mode;

    /// <summary>
    /// The block key's mode: the CS and SS sizes, and whether DS, ES and SS are flat (QEMU's translation flags
    /// carry the same fact). None of them changes inside a block: CS and SS loads end blocks, and DS and ES loads
    /// run only at block boundaries (<see cref="InterpretEmitter.CanTranslate"/>), so a chain keeps its entry's mode.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint Mode(in SegmentCache cs)
    {
        var seg = _core.Seg;
        ref readonly var ss = ref seg[ExecutionCore.Ss];
        var flat = IsFlat(ss) && IsFlat(seg[ExecutionCore.Ds]) && IsFlat(seg[ExecutionCore.Es]);
        return (cs.Big ? CodeBigMode : 0) | (ss.Big ? StackBigMode : 0) | (flat ? FlatDataMode : 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsFlat(in SegmentCache s) => s.Base == 0 && s.Limit == uint.MaxValue;

    /// <summary>Entry checks: translated, every instruction inside the CS limit (and IP not wrapping in 16-bit code), room in the budget.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Fits(TranslatedBlock block, in SegmentCache cs, uint eip, long done, long max) =>
        block.Count != 0
        && block.Code is not null
        && (ulong)eip + block.LastOffset + MaxInstructionLength <= cs.Limit
        && (cs.Big || (ulong)eip + block.EndOffset - 1 <= Ip16Limit)
        && done + block.Count <= max;

    /// <summary>Which entry check <paramref name="block"/> failed (<see cref="Fits"/> answered false).</summary>
    private static InterpretReason Why(TranslatedBlock block, in SegmentCache cs, uint eip, long done, long max) =>
        block.Count == 0 ? (block.Excluded ? InterpretReason.Excluded : InterpretReason.Untranslatable)
        : block.Code is null ? InterpretReason.Compiling
        : done + block.Count > max ? InterpretReason.Budget
        : InterpretReason.PastLimit;

    private BlockOutcome NotRun(InterpretReason reason)
    {
        _interpretedByReason[(int)reason]++;
        _lastReason = reason;
        return BlockOutcome.NotRun;
    }

    /// <summary>Counts one more instruction the interpreter ran without asking, for the reason of the last <see cref="BlockOutcome.NotRun"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void CountInterpreted() => _interpretedByReason[(int)_lastReason]++;

    /// <summary>
    /// Whether a block could start right after <paramref name="d"/> once the interpreter has run it: after a
    /// transfer of control, or after an instruction no block contains natively (formation stops before it,
    /// and a block never starts with one it would only hand to the interpreter). Anywhere else control just
    /// falls through a straight run, which the block formed at the run's start would have covered, so the
    /// interpreter does not ask the tier there (X86Cpu). Cached in the decoded instruction.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool EndsRun(ref DecodedInstruction d) => (d.TierRun == 0 ? ClassifyRun(ref d) : d.TierRun) == RunEnds;

    /// <summary>The first <see cref="EndsRun"/> of a decoded instruction: works out and caches the answer.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static byte ClassifyRun(ref DecodedInstruction d) =>
        d.TierRun = FlowEmitter.EndsBlock(d.Op) || !BlockBuilder.Native(d) ? RunEnds : RunContinues;

    /// <summary>The full lookup: fetch translation (may walk; a fault is left to the interpreter), table probe, compilation once hot. Null: interpret.</summary>
    private TranslatedBlock? Lookup(in SegmentCache cs, uint eip, uint linear, uint mode, out InterpretReason missed)
    {
        Lookups++;
        missed = InterpretReason.FetchFault;
        if (!_core.Mmu.TryTranslateFetch(linear, out var physical))
        {
            return null;
        }

        var key = Key(physical, mode);
        var mixed = physical ^ (mode << (32 - ModeBits));
        var set = (int)((mixed * FibonacciHash) >> (32 - SetBits)) * Ways;
        ref var recent = ref _table[set];
        if (recent.Key == key && recent.Block is { Valid: true } found)
        {
            return found;
        }

        ref var older = ref _table[set + 1];
        if (older.Key == key && older.Block is { Valid: true } other)
        {
            (recent, older) = (older, recent);
            return other;
        }

        // Entry counts live apart from the slots, so a cold key interpreted between two runs of a hot block in
        // its slot neither evicts that block nor resets its own count (nor another warming key's): before, two
        // keys of one loop sharing a slot kept resetting each other and stayed interpreted for good.
        ref var heat = ref _heat[(int)((mixed * HeatHash) >> (32 - HeatBits))];
        if (++heat < Threshold)
        {
            missed = InterpretReason.BelowThreshold;
            return null;
        }

        heat = 0;

        // The new block takes the most recent way; a live block there moves to the other, whose block goes.
        if (recent.Block is { Valid: true })
        {
            Evict(ref older);
            older = recent;
        }
        else
        {
            Evict(ref recent);
        }

        recent.Key = key;
        var block = Translate(cs, eip, physical, key);
        recent.Block = block;
        return block;
    }

    /// <summary>
    /// The compiled method's name for the block first formed at <paramref name="physical"/>: <c>block_</c>, the
    /// physical address in hex and the code size (16 or 32), so a host profile (perf with
    /// <c>DOTNET_PerfMapEnabled=1</c>) names guest code instead of <c>lambda_methodN</c>. Code reused for the same
    /// bytes elsewhere keeps the first address.
    /// </summary>
    public static string MethodName(uint physical, bool codeBig) => $"block_{physical:x8}_{(codeBig ? 32 : 16)}";

    /// <summary>Drops every block (processor reset).</summary>
    public void Flush()
    {
        foreach (var blocks in _byPage.Values)
        {
            foreach (var block in blocks)
            {
                block.Invalidate();
            }
        }

        _byPage.Clear();
        _drops.Clear();
        Array.Clear(_table);
        Array.Clear(_heat);
        _previous = null;
        _core.Mmu.Physical.NoteCodeDropped();
    }

    private TranslatedBlock Translate(in SegmentCache cs, uint eip, uint physical, ulong key)
    {
        var page = physical >> GuestMemory.PageShift;
        _scratch.Clear();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var excluded = _drops.GetValueOrDefault(key) >= DropLimit;
        if (!excluded)
        {
            BlockBuilder.Form(_cache, cs, eip, physical, _scratch);
        }

        TranslatedBlock block;
        if (_scratch.Count == 0)
        {
            _formTicks += System.Diagnostics.Stopwatch.GetTimestamp() - started;

            // Remembered as untranslatable until the page changes, so the lookup stays one probe.
            block = new TranslatedBlock(key, page, 0, 0, 0, CompiledCode.None) { Excluded = excluded };
        }
        else
        {
            var last = _scratch[^1];
            var length = last.Offset + last.D.Length;
            var mode = Mode(cs);
            CompiledCodeCache.Shape? shape = null;
            CompiledCode? code;
            var formed = System.Diagnostics.Stopwatch.GetTimestamp();
            _formTicks += formed - started;
            if (!(_core.Mmu.Physical.TryGetRam(physical, (int)length, out var ram) && _compiled.TryGet(ram.Span, mode, out code, out shape)))
            {
                code = new CompiledCode();
                var codeBig = (mode & CodeBigMode) != 0;
                var stackBig = (mode & StackBigMode) != 0;
                var flatData = (mode & FlatDataMode) != 0;
                if (Background)
                {
                    BackgroundCompiler.Enqueue(_compilation, [.. _scratch], codeBig, stackBig, flatData, code, MethodName(physical, codeBig));
                }
                else
                {
                    code.Run = _compilation.Run(_scratch, codeBig, stackBig, flatData, MethodName(physical, codeBig));
                }

                if (shape is not null)
                {
                    _compiled.Add(shape, code);
                }
            }

            block = new TranslatedBlock(key, page, _scratch[0].Bound, last.Offset, length, code);
            Translated++;
        }

        if (!_byPage.TryGetValue(page, out var list))
        {
            list = [];
            _byPage[page] = list;
        }

        list.Add(block);
        return block;
    }

    private void Evict(ref Slot slot)
    {
        if (slot.Block is { } old)
        {
            if (old.Valid && _byPage.TryGetValue(old.Page, out var list))
            {
                list.Remove(old);
                Evicted++;
            }

            old.Invalidate();
        }
        slot = default;
    }

    /// <summary>
    /// Drops the page's blocks whose bytes overlap the <paramref name="length"/> bytes written at page offset
    /// <paramref name="offset"/>. An untranslatable start stands for its first instruction (at most 15 bytes).
    /// A running block leaves after the store that dropped anything translated (<see cref="GuestMemory.Disturbances"/>),
    /// so a store into its own later instructions runs the new bytes.
    /// </summary>
    private void OnCodeWritten(uint page, int offset, int length)
    {
        if (!_byPage.TryGetValue(page, out var blocks))
        {
            return;
        }

        var end = offset + length;
        var kept = 0;
        var dropped = 0;
        for (var i = 0; i < blocks.Count; i++)
        {
            var block = blocks[i];
            var start = (int)((uint)(block.Key >> ModeBits) & GuestMemory.PageOffsetMask);
            var blockEnd = start + (block.Count > 0 ? (int)block.EndOffset : MaxInstructionLength);
            if (start < end && offset < blockEnd)
            {
                block.Invalidate();
                if (block.Count > 0)
                {
                    _drops[block.Key] = _drops.GetValueOrDefault(block.Key) + 1;
                    dropped++;
                }

                continue;
            }

            blocks[kept++] = block;
        }

        if (kept == blocks.Count)
        {
            return;
        }

        if (kept == 0)
        {
            _byPage.Remove(page);
        }
        else
        {
            blocks.RemoveRange(kept, blocks.Count - kept);
        }

        if (dropped > 0)
        {
            Drops++;
            BlocksDropped += dropped;
            _core.Mmu.Physical.NoteCodeDropped();
        }
    }

    private struct Slot
    {
        public ulong Key;
        public TranslatedBlock? Block;
    }
}
