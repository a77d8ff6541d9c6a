using Emulator.Machine.Bus;
using Emulator.Machine.Interrupts;
using Emulator.Machine.Memory;

namespace Emulator.Machine.Cpu;

/// <summary>
/// An x86 interpreter on Iced's decoder: the 8086–80386 integer instruction set plus the 486's
/// XADD/CMPXCHG/BSWAP and the i686's CMOV, CMPXCHG8B, RDTSC and CPUID (family 6), with an integrated
/// x87 FPU (Cpu/Fpu, docs/x87-fpu.md), in real mode with
/// 16/32-bit operand and address sizes, and protected mode: GDT segment loads with the privilege and
/// type checks, privilege levels 0–3 (CPL changes through interrupt, trap and call gates with the stack
/// from the TSS, IRET and far RET to an outer level, privileged and IOPL-sensitive instructions, the
/// TSS I/O permission bitmap),
/// the LDT (LLDT/SLDT), LTR/STR, and the way back to real mode keeping hidden limits (unreal mode).
/// <para>
/// Every guest access goes through one <see cref="MemoryUnit"/> (32-bit paging with 4 KiB and 4 MiB
/// pages, PAE paging with 2 MiB pages, global pages, a software TLB); faults are values and an
/// instruction commits nothing before its last possible fault (docs/cpu-memory-unit.md).
/// </para>
/// <para>
/// Task switches through TSS descriptors, task gates and IRET with NT (<see cref="TaskSwitchUnit"/>).
/// Not emulated: virtual-8086 mode, bit-exact x87 transcendentals (computed in double precision), debug
/// breakpoints (MOV DRn keeps the registers; TF single-step traps are delivered), the alignment check, and cycle
/// timing. SS limit violations are #SS in protected mode and #GP(0) in real mode, which is what the
/// 286 real-mode test vectors record.
/// </para>
/// <para>
/// Hardware interrupts are sampled before each instruction when IF is set and no interrupt shadow
/// (after STI, MOV SS, POP SS) is active; HLT stops <see cref="Run"/> until an interrupt arrives.
/// Decoded instructions are cached per 4 KiB physical page and dropped when the page is written.
/// </para>
/// </summary>
public sealed class X86Cpu
{
    /// <summary>The 386 reset vector: CS selector F000 with base FFFF0000, IP FFF0 (SDM vol. 3, 9.1.4).</summary>
    public const ushort ResetSelector = 0xF000;
    /// <summary>Base of CS after reset: the top 64 KiB below 4 GiB, so the first fetch is at 0xFFFFFFF0.</summary>
    public const uint ResetBase = 0xFFFF_0000;
    /// <summary>EIP after reset.</summary>
    public const uint ResetIp = 0xFFF0;

    /// <summary>EDX after reset: the processor signature (family, model, stepping), the one CPUID leaf 1 reports.</summary>
    public const uint ResetEdx = SystemUnit.ProcessorSignature;

    private const byte DataAccessRights = 0x93;
    private const byte CodeAccessRights = 0x9B;
    private const ushort RealModeIdtLimit = 0x3FF;
    private const ushort ResetGdtLimit = 0xFFFF;
    private const uint Ip16Mask = 0xFFFF;

    private readonly CpuRegisters _registers = new();
    private readonly ExecutionCore _core;
    private readonly InterruptUnit _interruptUnit;
    private readonly Dispatcher _dispatcher;
    private readonly DecodeCache _cache;
    private readonly IInterruptAcknowledge? _interrupts;
    /// <summary>Faults delivered one after another (benign, then what delivering it raised, …) before the CPU gives up and shuts down.</summary>
    private const int MaxSerialFaults = 8;

    private uint _instructionEip;
    private uint _instructionEsp;
    private Translation.TranslatingTier? _translator;

    private const int OpIndexMask = 0xFF;

    /// <summary>Interpreted instructions by <see cref="Op"/> (+256 when REP-prefixed) while the translating tier is on.</summary>
    private readonly long[] _interpretedByOp = new long[2 * (OpIndexMask + 1)];
    private bool _stopRequested;

    /// <summary>
    /// A CPU in its reset state executing from <paramref name="memory"/>, doing port I/O on <paramref name="ports"/>
    /// and taking external interrupts from <paramref name="interrupts"/> (null: INTR is never raised).
    /// </summary>
    public X86Cpu(GuestMemory memory, IoPortBus ports, IInterruptAcknowledge? interrupts)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(ports);
        _interrupts = interrupts;
        _core = new ExecutionCore(_registers, memory, ports);
        var segments = new SegmentUnit(_core);
        var tasks = new TaskUnit(_core, segments);
        var switcher = new TaskSwitchUnit(_core, segments);
        _interruptUnit = new InterruptUnit(_core, segments, tasks, switcher);
        _dispatcher = new Dispatcher(_core, segments, _interruptUnit, tasks, switcher);
        _cache = new DecodeCache(_core);
        _core.TimeStampCounter = () => (ulong)InstructionsSoFar;
        Reset();
    }

    /// <summary>The architectural registers; firmware services read and write them between runs.</summary>
    public CpuRegisters Registers => _registers;

    /// <summary>True after HLT until an interrupt is delivered; the machine loop may clear it to resume (e.g. after an NMI-style event).</summary>
    public bool Halted
    {
        get => _core.Halted;
        set => _core.Halted = value;
    }

    /// <summary>
    /// Raised on a shutdown (a fault while delivering a double fault): the processor has already reset
    /// itself; a PC board answers with a system reset of everything else.
    /// </summary>
    public event Action? Shutdown;

    /// <summary>
    /// Raised for every processor exception an instruction raises (not for external interrupts or INT n),
    /// after its delivery, with where it happened and how delivery ended: the CPU side of QEMU's
    /// <c>-d int,cpu_reset</c>. Null (the default) costs one test on the exception path only.
    /// </summary>
    public event Action<CpuExceptionRecord>? ExceptionRaised;

    /// <summary>
    /// What RDTSC reads. By default the instruction count; a machine sets it to its virtual time in
    /// nanoseconds (a 1 GHz counter), so the guest's TSC and its timers agree and a run repeats.
    /// </summary>
    public Func<ulong> TimeStampCounter
    {
        get => _core.TimeStampCounter;
        set => _core.TimeStampCounter = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>
    /// The FERR# pin: called with true when an x87 instruction finds an unmasked exception pending while
    /// CR0.NE is clear (the PC/AT wiring raises IRQ 13 from it). Null leaves it unconnected.
    /// </summary>
    public Action<bool>? FloatingPointError
    {
        get => _core.Fpu.ErrorPin;
        set => _core.Fpu.ErrorPin = value;
    }

    /// <summary>
    /// The board asserts IGNNE# (a PC does on a write to port F0h, which also clears its IRQ 13 latch): x87
    /// errors stop signalling FERR# until software clears the exception flags (FNCLEX, FNINIT).
    /// </summary>
    public void IgnoreNumericError() => _core.Fpu.IgnoreNumericError = true;

    /// <summary>Instructions executed since construction, counted as each one starts (so a device or RDTSC inside a run sees the count so far).</summary>
    public long InstructionsSoFar => InstructionCount + _core.Progress;

    /// <summary>Instructions executed since construction (faulting instructions count), updated when a run returns.</summary>
    public long InstructionCount { get; private set; }

    /// <summary>
    /// Reads up to <paramref name="destination"/>.Length code bytes at CS:<paramref name="eip"/> as the
    /// CPU would fetch them now, stopping at the first byte that does not translate; returns how many
    /// were read. A debugging aid (exception logs, disassembly): it may set page-table accessed bits.
    /// </summary>
    public int PeekCode(uint eip, Span<byte> destination)
    {
        var csBase = _registers.Seg[ExecutionCore.Cs].Base;
        for (var i = 0; i < destination.Length; i++)
        {
            if (!_core.Mmu.Probe(csBase + eip + (uint)i, 1, write: false) || !_core.Mmu.TryFetchByte(csBase + eip + (uint)i, out destination[i]))
            {
                return i;
            }
        }

        return destination.Length;
    }

    /// <summary>
    /// Which tier runs guest code: the interpreter alone (the default and the reference), or the
    /// translating tier (docs/translating-cpu.md) with the interpreter for every instruction it does not
    /// translate. Guest-visible behaviour and instruction counts are the same either way.
    /// </summary>
    public CpuTier Tier
    {
        get => _translator is null ? CpuTier.Interpreter : CpuTier.Translator;
        set
        {
            if (value == Tier)
            {
                return;
            }

            _translator = value == CpuTier.Translator ? new Translation.TranslatingTier(_core, _cache, _dispatcher) : null;
        }
    }

    /// <summary>Runs a block once it has been entered this many times (1 = translate on first sight); tests lower it.</summary>
    public int TranslationThreshold
    {
        get => _translator?.Threshold ?? Translation.TranslatingTier.DefaultThreshold;
        set
        {
            if (_translator is not null)
            {
                _translator.Threshold = value;
            }
        }
    }

    /// <summary>
    /// Compile hot blocks on a background thread and interpret them until their code is ready, instead of
    /// compiling on the machine thread (docs/translating-cpu.md). Guest-visible behaviour is the same either
    /// way; only which tier runs an instruction, and so host time, changes. Off by default.
    /// </summary>
    public bool BackgroundTranslation
    {
        get => _translator?.Background ?? false;
        set
        {
            if (_translator is not null)
            {
                _translator.Background = value;
            }
        }
    }

    /// <summary>
    /// Times a block may be dropped (by writes into its bytes) before its start is only interpreted;
    /// tests that rewrite code on purpose raise it.
    /// </summary>
    public int TranslationDropLimit
    {
        get => _translator?.DropLimit ?? Translation.TranslatingTier.DefaultDropLimit;
        set
        {
            if (_translator is not null)
            {
                _translator.DropLimit = value;
            }
        }
    }

    /// <summary>Blocks translated so far, compiled or with code reused from a block of the same bytes (0 with the interpreter alone).</summary>
    public long BlocksTranslated => _translator?.Translated ?? 0;

    /// <summary>Host time the translating tier has spent forming and compiling blocks.</summary>
    public TimeSpan TranslationTime => TranslationCost.Total;

    /// <summary>The translating tier's host time by phase (form, tree, IL, JIT) and blocks compiled.</summary>
    public Translation.TranslationCost TranslationCost => _translator?.Cost ?? default;

    /// <summary>Instructions run in translated code so far (0 with the interpreter alone).</summary>
    public long TranslatedInstructions => _translator?.InstructionsRun ?? 0;

    /// <summary>Translated blocks entered through the previous block's chain link rather than the full lookup.</summary>
    public long ChainedBlocks => _translator?.Chained ?? 0;

    /// <summary>
    /// What the translating tier lost: invalidations by guest or DMA writes that dropped translated blocks and the
    /// blocks they dropped, and blocks evicted from their table slot by another key.
    /// </summary>
    public (long Drops, long Blocks, long Evicted) TranslationChurn =>
        _translator is null ? default : (_translator.Drops, _translator.BlocksDropped, _translator.Evicted);

    /// <summary>Full block lookups that found a block, by why no chain link was followed (names of <c>ChainMiss</c>), for <c>--stats</c>.</summary>
    public IReadOnlyList<(string Reason, long Count)> ChainMisses() =>
        _translator is null ? [] : [.. Enum.GetValues<Translation.ChainMiss>().Select(m => (m.ToString(), _translator.ChainMisses[(int)m]))];

    /// <summary>
    /// Full block lookups the translating tier made: at boundaries where no chain link was followed and the
    /// interpreter asked, which it does only where a block can start (after a transfer of control or an
    /// instruction no block contains natively), not at every instruction it runs.
    /// </summary>
    public long TierLookups => _translator?.Lookups ?? 0;

    /// <summary>Translated blocks run (each pass of a self-looping block counts once per entry).</summary>
    public long BlocksRun => _translator?.BlocksRun ?? 0;

    /// <summary>
    /// With the translating tier on, the instructions it left to the interpreter, by mnemonic, most
    /// frequent first (a REP-prefixed string instruction is listed as "rep movs" etc.; each step of a
    /// REP run counts once, as the machine's instruction count does). Empty with the interpreter alone.
    /// </summary>
    public IReadOnlyList<(string Mnemonic, long Count)> InterpretedByMnemonic() => ByMnemonic(_interpretedByOp);

    /// <summary>
    /// With the translating tier on, the instructions translated blocks ran through the interpreter's handler
    /// from inside the block (docs/translating-cpu.md, "interpreted inside a block"), by mnemonic, most
    /// frequent first; they are also counted as translated. Empty with the interpreter alone.
    /// </summary>
    public IReadOnlyList<(string Mnemonic, long Count)> InterpretedInsideBlocksByMnemonic() =>
        _translator is null ? [] : ByMnemonic(_translator.InterpretedInsideByOp);

    /// <summary>
    /// With the translating tier on, why the instructions it left to the interpreter were not translated
    /// (docs/translating-cpu.md): per reason, most frequent first. Boundaries the tier is not asked about
    /// (an STI/MOV SS shadow, TF set) are the interpreted total minus these. Empty with the interpreter alone.
    /// </summary>
    public IReadOnlyList<(string Reason, long Count)> InterpretedByReason()
    {
        if (_translator is null)
        {
            return [];
        }

        var counts = _translator.InterpretedByReason;
        var list = new List<(string, long)>();
        for (var i = 0; i < counts.Length; i++)
        {
            if (counts[i] != 0)
            {
                list.Add((((Translation.InterpretReason)i).ToString(), counts[i]));
            }
        }

        list.Sort((a, b) => b.Item2.CompareTo(a.Item2));
        return list;
    }

    private static List<(string Mnemonic, long Count)> ByMnemonic(long[] counts)
    {
        var list = new List<(string, long)>();
        for (var i = 0; i < counts.Length; i++)
        {
            if (counts[i] != 0)
            {
                var name = ((Op)(i & OpIndexMask)).ToString().ToLowerInvariant();
                list.Add((i > OpIndexMask ? "rep " + name : name, counts[i]));
            }
        }

        list.Sort((a, b) => b.Item2.CompareTo(a.Item2));
        return list;
    }

    /// <summary>Processor reset: real mode, CS:IP = F000:FFF0 with CS base FFFF0000, every other segment 0 with a 64 KiB limit.</summary>
    public void Reset()
    {
        Array.Clear(_registers.Gpr);
        _registers.Gpr[CpuRegisters.Edx] = ResetEdx;
        for (var i = 0; i < _registers.Seg.Length; i++)
        {
            _registers.Seg[i] = new SegmentCache { Limit = SegmentCache.RealModeLimit, Access = DataAccessRights };
        }

        _registers.Seg[ExecutionCore.Cs] = new SegmentCache
        {
            Selector = ResetSelector,
            Base = ResetBase,
            Limit = SegmentCache.RealModeLimit,
            Access = CodeAccessRights,
        };
        _registers.EIP = ResetIp;
        _registers.Flags = Eflags.Reserved1;
        _registers.CR0 = ControlRegisters.ExtensionType;
        _registers.CR2 = 0;
        _registers.CR3 = 0;
        _registers.CR4 = 0;
        _registers.GdtrBase = 0;
        _registers.GdtrLimit = ResetGdtLimit;
        _registers.IdtrBase = 0;
        _registers.IdtrLimit = RealModeIdtLimit;
        _registers.TaskRegister = default;
        _registers.Debug.Reset();
        _registers.LdtRegister = default;
        _core.SetCpl(0);
        _core.Halted = false;
        _core.InterruptShadow = false;
        _cache.Flush();
        _translator?.Flush();
        _core.Mmu.FlushAll();
        _core.Fpu.Reset();
        _core.TimeStampOffset = 0;
    }

    /// <summary>
    /// Makes the current <see cref="Run"/> return once the instruction in progress completes. Meant for
    /// device callbacks on the machine thread (a port or MMIO write the loop must react to at once), and
    /// safe from any thread (the loop's wake-up when an I/O thread's completion is ready): the CPU sees it
    /// at its next instruction or translated-block boundary; one that lands between slices ends the next.
    /// </summary>
    public void RequestStop() => Volatile.Write(ref _stopRequested, true);

    /// <summary>
    /// Executes up to <paramref name="maxInstructions"/> instructions and returns how many ran. Returns
    /// early when the CPU halts or <see cref="RequestStop"/> is called; a halted CPU runs nothing until an
    /// interrupt is pending.
    /// </summary>
    public long Run(long maxInstructions)
    {
        _core.Progress = 0;
        _core.Mmu.Resync();
        while (_core.Progress < maxInstructions)
        {
            if (_core.Halted && !TryWake())
            {
                break;
            }

            if (!_core.Halted && !RunUntilFaultOrHalt(maxInstructions))
            {
                RestoreInstruction();
                DeliverFault(_core.Fault);
            }

            if (_core.Halted || _stopRequested)
            {
                break;
            }
        }

        _stopRequested = false;
        var ran = _core.Progress;
        InstructionCount += ran;
        _core.Progress = 0;
        return ran;
    }

    /// <summary>Runs until the budget, a halt or a stop request (true), or a fault (false, EIP/ESP of the faulting instruction noted).</summary>
    private bool RunUntilFaultOrHalt(long maxInstructions)
    {
        var registers = _registers;
        var core = _core;
        var gpr = registers.Gpr;
        var segments = registers.Seg;
        var done = core.Progress;
        var translator = _translator;

        // Whether the tier is asked at this boundary: after it answered NotRun, the interpreter runs on to the
        // next place a block can start (TranslatingTier.EndsRun) instead of asking at every instruction, since
        // a block is only ever entered where control arrives, not in the middle of a straight run.
        var lookup = true;
        while (done < maxInstructions)
        {
            _instructionEip = registers.EIP;
            _instructionEsp = gpr[CpuRegisters.Esp];
            var shadowed = core.InterruptShadow;
            if (shadowed)
            {
                core.InterruptShadow = false;
            }
            else if ((registers.Flags & Eflags.Interrupt) != 0 && _interrupts is { InterruptPending: true })
            {
                if (!DeliverExternal())
                {
                    return false;
                }

                _instructionEip = registers.EIP;
                _instructionEsp = gpr[CpuRegisters.Esp];
                lookup = true;
            }

            // A block checks interrupts only at its ends, so the one instruction an STI/MOV SS shadow covers runs alone.
            if (translator is not null && lookup && !shadowed && (registers.Flags & Eflags.Trap) == 0)
            {
                var outcome = translator.TryRun(done, maxInstructions, out var ran);
                if (outcome != Translation.BlockOutcome.NotRun)
                {
                    done += ran;
                    core.Progress = done;
                    if (outcome == Translation.BlockOutcome.Faulted)
                    {
                        _instructionEip = registers.EIP;
                        _instructionEsp = gpr[CpuRegisters.Esp];
                        return false;
                    }

                    if (_stopRequested)
                    {
                        break;
                    }

                    continue;
                }

                lookup = false;
            }

            ref var cs = ref segments[ExecutionCore.Cs];
            var eip = _instructionEip;
            ref var d = ref _cache.Fetch(cs, eip);
            registers.EIP = cs.Big ? eip + d.Length : (eip + d.Length) & Ip16Mask;
            core.Progress = ++done;
            var endsRun = false;
            if (translator is not null)
            {
                _interpretedByOp[(int)d.Op | (d.Op is >= Op.Movs and <= Op.Outs && (d.Instr.HasRepPrefix || d.Instr.HasRepnePrefix) ? OpIndexMask + 1 : 0)]++;
                if (!lookup)
                {
                    // Read before the instruction runs: it may rewrite its own decode-cache entry.
                    endsRun = Translation.TranslatingTier.EndsRun(ref d);
                    translator.CountInterpreted();
                }
            }

            var singleStep = (registers.Flags & Eflags.Trap) != 0 && d.Op is not (Op.Int or Op.Int3 or Op.Into or Op.Int1);
            if (!_dispatcher.Execute(ref d))
            {
                return false;
            }

            lookup |= endsRun;

            if (singleStep)
            {
                // The debug trap fires after an instruction that started with TF set (SDM vol. 3, 17.3.1.4);
                // software interrupts clear TF on entry and are not stepped over.
                _instructionEip = registers.EIP;
                _instructionEsp = gpr[CpuRegisters.Esp];
                if (!_interruptUnit.Deliver(ExceptionVector.Debug, registers.EIP, ExceptionVector.NoErrorCode, false))
                {
                    return false;
                }
            }

            if (core.Halted || _stopRequested)
            {
                break;
            }
        }

        return true;
    }

    /// <summary>Puts back EIP and ESP of the instruction that faulted (units commit nothing else before their last fault).</summary>
    private void RestoreInstruction()
    {
        _registers.EIP = _instructionEip;
        _registers.Gpr[CpuRegisters.Esp] = _instructionEsp;
    }

    /// <summary>
    /// Delivers a fault raised by an instruction. A fault while delivering it follows Intel's table of
    /// exception classes (SDM vol. 3, table 6-5): after a contributory exception (#DE, #TS, #NP, #SS,
    /// #GP) another contributory one, and after a #PF a contributory one or another #PF, become a
    /// double fault (#DF, vector 8); any other pair is handled serially (the second is delivered as if
    /// it came first). A fault while delivering #DF shuts the processor down, which a PC's chipset
    /// turns into a reset: the CPU resets itself at once and tells the board (<see cref="Shutdown"/>).
    /// CR2 takes the address of every #PF as it is raised.
    /// </summary>
    private void DeliverFault(CpuFault fault)
    {
        var observer = ExceptionRaised;
        var selector = _registers.Seg[ExecutionCore.Cs].Selector;
        var cpl = _core.Cpl;
        var current = fault;
        CpuFault? doubled = null;
        for (var attempt = 0; attempt < MaxSerialFaults; attempt++)
        {
            NoteFault(current);
            if (_interruptUnit.Deliver(current.Vector, _instructionEip, current.ErrorCode, false))
            {
                observer?.Invoke(doubled is { } cause ? Record(cause, selector, cpl, CpuExceptionOutcome.DoubleFault) : Record(current, selector, cpl, CpuExceptionOutcome.Delivered));
                return;
            }

            RestoreInstruction();
            if (doubled is not null)
            {
                break;
            }

            var next = _core.Fault;
            if (IsDoubleFault(current.Vector, next.Vector))
            {
                doubled = current;
                current = new CpuFault(ExceptionVector.DoubleFault, 0, 0);
                continue;
            }

            observer?.Invoke(Record(current, selector, cpl, CpuExceptionOutcome.Superseded));
            current = next;
        }

        NoteFault(_core.Fault);
        observer?.Invoke(Record(doubled ?? current, selector, cpl, CpuExceptionOutcome.Shutdown));
        Reset();
        Shutdown?.Invoke();
    }

    /// <summary>Whether <paramref name="second"/>, raised while delivering <paramref name="first"/>, makes a double fault (Intel SDM vol. 3, table 6-5).</summary>
    private static bool IsDoubleFault(byte first, byte second)
    {
        var secondContributory = IsContributory(second);
        return first == ExceptionVector.PageFault
            ? secondContributory || second == ExceptionVector.PageFault
            : IsContributory(first) && secondContributory;
    }

    private static bool IsContributory(byte vector) =>
        vector is ExceptionVector.DivideError or ExceptionVector.InvalidTss or ExceptionVector.SegmentNotPresent
            or ExceptionVector.StackFault or ExceptionVector.GeneralProtection;

    private CpuExceptionRecord Record(in CpuFault fault, ushort selector, int cpl, CpuExceptionOutcome outcome) =>
        new(fault.Vector, fault.ErrorCode, selector, _instructionEip, _registers.CR2, cpl, InstructionsSoFar, outcome);

    private void NoteFault(in CpuFault fault)
    {
        if (fault.Vector == ExceptionVector.PageFault)
        {
            _registers.CR2 = fault.Address;
        }
    }

    private bool TryWake()
    {
        if ((_registers.Flags & Eflags.Interrupt) == 0 || _interrupts is not { InterruptPending: true })
        {
            return false;
        }

        _instructionEip = _registers.EIP;
        _instructionEsp = _registers.Gpr[CpuRegisters.Esp];
        if (!DeliverExternal())
        {
            RestoreInstruction();
            DeliverFault(_core.Fault);
        }

        return true;
    }

    /// <summary>Acknowledges and enters an external interrupt; false (fault latched) when its delivery faults.</summary>
    private bool DeliverExternal()
    {
        var vector = _interrupts!.Acknowledge();
        return _interruptUnit.Deliver(vector, _registers.EIP, ExceptionVector.NoErrorCode, true);
    }
}
