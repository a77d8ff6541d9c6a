using Emulator.Machine.Memory;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// Forms a block from the interpreter's decode cache (so both tiers decode with the same Iced decoder
/// and the same <see cref="OpDecoder"/> facts, and the bytes are in a page whose writes are reported):
/// translatable instructions from CS:EIP up to the first transfer it cannot continue across, the first
/// instruction not translated, the page end, or <see cref="MaxInstructions"/>. Formation continues across
/// a conditional branch (with its fall-through), across a direct JMP or CALL whose target lies forward of every
/// byte already in the block (<see cref="FlowEmitter.Continues"/>), and past a JMP or RET when the bytes after it
/// are the forward target of an earlier branch, so instruction offsets only grow: the last instruction is the
/// furthest, and the block's bytes are one range from the entry, as the entry checks and content reuse assume.
/// A Jcc or JMP whose target is one of the block's instructions branches there inside the block's code
/// (<see cref="BlockInstruction.Target"/>); other targets leave the block. Then a backward pass marks which
/// instructions' status flags anything can observe (a later reader, a possible fault, a block or side exit, a branch).
/// </summary>
internal static class BlockBuilder
{
    /// <summary>
    /// Longest block: bounds translation cost and the work redone when a block is dropped. With branches inside a block,
    /// 64 lets a loop body of a Linux boot's hot code stay in one block (its block entries went from 702 M at 32 to
    /// 194 M, and 143 M at 128, where the instructions left to the interpreter because a block did not fit the budget
    /// grew from 0.09% to 0.28%; docs/translating-cpu.md, "Fourteenth pass").
    /// </summary>
    public const int MaxInstructions = 64;

    private const int MaxInstructionLength = 15;

    public static void Form(DecodeCache cache, in SegmentCache cs, uint eip, uint physical, List<BlockInstruction> block)
    {
        block.Clear();
        var offset = 0u;
        var pageOffset = physical & GuestMemory.PageOffsetMask;
        var ipLimit = cs.Big ? uint.MaxValue : 0xFFFFu;

        // Forward targets of the branches taken so far (offsets from the entry), where formation may go on after a JMP or RET.
        var ahead = new HashSet<uint>();
        while (block.Count < MaxInstructions)
        {
            var at = eip + offset;
            if ((ulong)at + MaxInstructionLength > cs.Limit || pageOffset + offset >= GuestMemory.PageSize || at > ipLimit)
            {
                break;
            }

            var d = cache.Fetch(cs, at);
            // A block does not start with an instruction it would only hand to the interpreter: that start
            // stays an untranslatable one (free to remember) instead of a compiled block (a REP step's restart point, say).
            if (d.Op == Op.FetchFault || pageOffset + offset + d.Length > GuestMemory.PageSize || !CanTranslate(d)
                || (ulong)at + d.Length - 1 > ipLimit || (block.Count == 0 && Interpreted(d)))
            {
                break;
            }

            var item = new BlockInstruction { D = d, Offset = offset, Target = -1 };
            offset += d.Length;
            if (FlowEmitter.EndsBlock(d.Op))
            {
                if (FlowEmitter.RelativeTarget(d, cs.Big, item.Offset, out var target) && target >= offset)
                {
                    ahead.Add(target);
                }

                // After a JMP or RET, formation goes on with the next bytes if an earlier branch lands there (an if/else
                // whose other arm follows, a loop exit past the back jump); otherwise a JMP is followed forward as before.
                if (d.Op is Op.Jmp or Op.Ret && ahead.Contains(offset))
                {
                    item.Breaks = true;
                }
                else if (!FlowEmitter.Continues(d, cs.Big, offset, out var resume))
                {
                    block.Add(item);
                    break;
                }
                else
                {
                    offset = resume;
                }
            }

            block.Add(item);
        }

        LinkTargets(block, cs.Big);
        MarkBounds(block);
        MarkLiveFlags(block);
    }

    /// <summary>
    /// <see cref="BlockInstruction.Bound"/> of each instruction: its index plus the most instructions a path from it can
    /// run before it takes a backward branch or leaves (fall-through and forward branches inside the block; offsets grow
    /// along such a path). The count on arriving at instruction j is "executed + j", so "executed + Bound[j] ≤ budget",
    /// checked at the entry and at every backward branch, keeps every count of the stretch that follows inside the budget.
    /// </summary>
    private static void MarkBounds(List<BlockInstruction> block)
    {
        var longest = new int[block.Count];
        for (var i = block.Count - 1; i >= 0; i--)
        {
            var item = block[i];
            var after = 0;
            if (i < block.Count - 1 && !item.Breaks)
            {
                after = longest[i + 1];
            }

            if (item.Target > i)
            {
                after = Math.Max(after, longest[item.Target]);
            }

            longest[i] = 1 + after;
            item.Bound = i + longest[i];
            block[i] = item;
        }
    }

    /// <summary>
    /// Points each Jcc, each JMP that does not continue to the next instruction (<see cref="BlockInstruction.Breaks"/>,
    /// or the last) at the block's instruction its target is, when there is one: its taken path then stays inside the
    /// block's code instead of leaving it.
    /// </summary>
    private static void LinkTargets(List<BlockInstruction> block, bool codeBig)
    {
        if (block.Count > 0 && block[^1].Breaks)
        {
            // Formation stopped right after it (the instruction limit, an untranslatable one): it is simply the last.
            var last = block[^1];
            last.Breaks = false;
            block[^1] = last;
        }

        for (var i = 0; i < block.Count; i++)
        {
            var item = block[i];
            var branches = item.D.Op == Op.Jcc || (item.D.Op == Op.Jmp && (item.Breaks || i == block.Count - 1));
            if (!branches || !FlowEmitter.RelativeTarget(item.D, codeBig, item.Offset, out var target))
            {
                continue;
            }

            var j = IndexAt(block, target);
            if (j < 0)
            {
                continue;
            }

            item.Target = j;
            block[i] = item;
            var landing = block[j];
            landing.IsTarget = true;
            block[j] = landing;
        }
    }

    /// <summary>The index of the instruction at <paramref name="offset"/> (offsets grow along the block), or −1.</summary>
    private static int IndexAt(List<BlockInstruction> block, uint offset)
    {
        int low = 0, high = block.Count - 1;
        while (low <= high)
        {
            var middle = (low + high) >>> 1;
            var at = block[middle].Offset;
            if (at == offset)
            {
                return middle;
            }

            if (at < offset)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return -1;
    }

    public static bool CanTranslate(in DecodedInstruction d) =>
        Native(d) || InterpretEmitter.CanTranslate(d);

    /// <summary>Whether an emitter translates the instruction to .NET code of its own (rather than calling the interpreter's handler).</summary>
    public static bool Native(in DecodedInstruction d) =>
        AluEmitter.CanTranslate(d) || MoveEmitter.CanTranslate(d) || FlowEmitter.CanTranslate(d) || SystemEmitter.CanTranslate(d)
        || MultiplyEmitter.CanTranslate(d) || DataEmitter.CanTranslate(d) || DivideEmitter.CanTranslate(d) || ExchangeEmitter.CanTranslate(d)
        || BitEmitter.CanTranslate(d) || StringEmitter.CanTranslate(d) || StackEmitter.CanTranslate(d);

    private static void MarkLiveFlags(List<BlockInstruction> block)
    {
        var live = Eflags.Status;

        // The same without what exits expose: the flags a later instruction of the block itself reads.
        var read = 0u;

        // Whether the next instruction after this point that touches the flags local, skipping those that leave it
        // alone and SETcc/CMOVcc, is one that overwrites all status flags: only then may a writer here defer its
        // flags (DeferredFlags), which are then recomputed only at a fault or device stop, never on the way through.
        var overwrittenNext = false;
        for (var i = block.Count - 1; i >= 0; i--)
        {
            var item = block[i];
            var faults = TouchesMemory(item.D);
            if (faults)
            {
                // A fault or a device access here exposes the flags after it (the block may stop there) and before it.
                live = Eflags.Status;
            }

            if (item.D.Op == Op.Jcc || item.Breaks)
            {
                // A side exit, a branch inside the block, the block's last branch, or a JMP or RET that does not go on to
                // the next instruction: whatever runs next may read any flag.
                live = Eflags.Status;
            }

            var (writes, kills, reads) = FlagEffects(item.D);
            item.LiveFlags = writes & live;
            item.ExitOnlyFlags = overwrittenNext && DeferredFlags.CanDefer(item.D.Op) ? item.LiveFlags & ~read : 0;
            block[i] = item;
            overwrittenNext = DeferredFlags.Of(item) switch
            {
                DeferredFlags.Role.FullWriter => true,
                DeferredFlags.Role.Neutral => overwrittenNext,
                DeferredFlags.Role.ConditionReader => overwrittenNext && item.D.Op != Op.Jcc,
                _ => false,
            };

            // A writer before a branch target or a JMP/RET that breaks the straight line may not defer past it: the code after
            // it is also reached from elsewhere (or not from here), where that writer is not the pending one.
            if (item.IsTarget || item.Breaks)
            {
                overwrittenNext = false;
            }

            live = (live & ~kills) | reads | (faults ? Eflags.Status : 0);
            read = (read & ~kills) | reads;
        }
    }

    /// <summary>Whether the instruction may fault or reach a device (memory accesses, string elements, RDTSC, DIV/IDIV's #DE).</summary>
    public static bool TouchesMemory(in DecodedInstruction d) =>
        d.Op is Op.Push or Op.Pop or Op.Call or Op.Ret or Op.Rdtsc or Op.Leave or Op.Pushf or Op.PushSreg or Op.Div or Op.Idiv
            or Op.Movs or Op.Cmps or Op.Scas or Op.Lods or Op.Stos || Interpreted(d)
        || ((d.Form0 == OperandForm.Memory || d.Form1 == OperandForm.Memory) && d.Op is not (Op.Lea or Op.Nop));

    /// <summary>Whether the block runs the instruction through the interpreter's handler (<see cref="InterpretEmitter"/>).</summary>
    public static bool Interpreted(in DecodedInstruction d) => !Native(d) && InterpretEmitter.CanTranslate(d);

    /// <summary>The status flags an instruction may write, those it certainly overwrites, and those it reads.</summary>
    public static (uint Writes, uint Kills, uint Reads) FlagEffects(in DecodedInstruction d)
    {
        if (d.Op is Op.Rol or Op.Ror or Op.Rcl or Op.Rcr or Op.Shl or Op.Shr or Op.Sar)
        {
            return ShiftEmitter.FlagEffects(d);
        }

        var (writes, reads) = d.Op switch
        {
            Op.Add or Op.Or or Op.Sub or Op.And or Op.Xor or Op.Cmp or Op.Test or Op.Neg => (Eflags.Status, 0u),
            Op.Adc or Op.Sbb => (Eflags.Status, Eflags.Carry),
            Op.Inc or Op.Dec => (Eflags.Status & ~Eflags.Carry, 0u),
            Op.Jcc or Op.Setcc or Op.Cmovcc => (0u, ConditionEmitter.Reads(d.Aux)),
            Op.Mul or Op.Imul1 or Op.Imul => MultiplyEmitter.FlagEffects(d.Op),
            Op.Bt or Op.Bts or Op.Btr or Op.Btc or Op.Pushf => DataEmitter.FlagEffects(d.Op),
            Op.Xadd or Op.Cmpxchg => ExchangeEmitter.FlagEffects(d.Op),
            Op.Bsf or Op.Bsr or Op.Shld or Op.Shrd => BitEmitter.FlagEffects(d.Op),
            Op.Cmps or Op.Scas => StringEmitter.FlagEffects(d.Op),
            _ => SystemEmitter.FlagEffects(d.Op),
        };
        return (writes, writes, reads);
    }
}
