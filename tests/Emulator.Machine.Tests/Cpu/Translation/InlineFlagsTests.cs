using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu.Translation;

/// <summary>
/// The translated ALU instructions' results and flags (computed inline, and only the flags something observes)
/// against the interpreter's, through both tiers: a guest loop walks a table of edge-case operands (0, 1,
/// 7F…, 80…, FF…, alternating bits, random) with CF clear and set, runs each operation in every form and
/// stores the result and EFLAGS (PUSHFD: every flag observed) for each entry; a second loop puts a flag
/// reader (SETcc) and a partial flag writer between each operation and PUSHFD, so only some of the
/// operation's flags are live. Registers, flags and the stored results must match.
/// </summary>
public class InlineFlagsTests
{
    private const ushort ResultBase = 0x4000;
    private const int EntryBytes = 12;
    private const long RunLimit = 2_000_000;
    private const int RandomValues = 4;

    private static readonly string[] BinaryOps = ["Add", "Or", "Adc", "Sbb", "And", "Sub", "Xor", "Cmp", "Test"];
    private static readonly string[] UnaryOps = ["Inc", "Dec", "Not", "Neg"];
    private static readonly int[] Sizes = [8, 16, 32];

    /// <summary>Counts 0–33 (32 and 33 mask to 0 and 1) and 255 (masks to 31).</summary>
    private static readonly int[] ShiftCounts = [.. Enumerable.Range(0, 34), 255];

    public static IEnumerable<TestCaseData> Binary() =>
        from op in BinaryOps from size in Sizes select new TestCaseData(op, size).SetName($"{op}{size}_EdgeOperands_MatchInterpreter");

    public static IEnumerable<TestCaseData> Unary() =>
        from op in UnaryOps from size in Sizes select new TestCaseData(op, size).SetName($"{op}{size}_EdgeOperands_MatchInterpreter");

    public static IEnumerable<TestCaseData> Shifts() =>
        from op in RandomInstructions.ShiftOps from size in Sizes select new TestCaseData(op, size).SetName($"{op}{size}_EveryCount_MatchesInterpreter");

    public static IEnumerable<TestCaseData> Producers() =>
        BinaryOps.Concat(UnaryOps).Concat(RandomInstructions.ShiftOps.Select(op => op + "_imm8")).Concat(RandomInstructions.ShiftOps.Select(op => op + "_CL"))
            .Select(op => new TestCaseData(op).SetName($"{op}_ThenConditionAndPartialWriter_MatchesInterpreter"));

    [TestCaseSource(nameof(Binary))]
    public void BinaryOperation(string op, int size)
    {
        var values = Values(size, new Random(size));
        var entries = (from a in values from b in values from carry in new[] { 0u, 1u } select (a, b, carry)).ToArray();
        var accumulator = Reg(Register.EAX, size);
        var source = Reg(Register.ECX, size);
        var register = RandomInstructions.Code($"{op}_rm{size}_r{size}");
        var fromMemory = op == "Test" ? register : RandomInstructions.Code($"{op}_r{size}_rm{size}");
        RunTable(entries, resultBytes: 24, a =>
        {
            LoadOperands(a);
            a.AddInstruction(Instruction.Create(register, accumulator, source));
            Record(a, 0);

            a.mov(__dword_ptr[di + 8], ebx);
            SetCarry(a);
            a.AddInstruction(Instruction.Create(register, Operand(Register.DI, 8), source));
            a.pushfd();
            a.pop(edx);
            a.mov(__dword_ptr[di + 12], edx);

            LoadOperands(a);
            a.AddInstruction(op == "Test" ? Instruction.Create(register, Operand(Register.SI, 4), accumulator) : Instruction.Create(fromMemory, accumulator, Operand(Register.SI, 4)));
            Record(a, 16);
        });
    }

    [TestCaseSource(nameof(Unary))]
    public void UnaryOperation(string op, int size)
    {
        var values = size == 8 ? [.. Enumerable.Range(0, 256).Select(v => (uint)v)] : Values(size, new Random(size));
        var entries = (from v in values from carry in new[] { 0u, 1u } select (v, 0u, carry)).ToArray();
        var code = RandomInstructions.Code($"{op}_rm{size}");
        RunTable(entries, resultBytes: 16, a =>
        {
            LoadOperands(a);
            a.AddInstruction(Instruction.Create(code, Reg(Register.EAX, size)));
            Record(a, 0);

            a.mov(__dword_ptr[di + 8], ebx);
            SetCarry(a);
            a.AddInstruction(Instruction.Create(code, Operand(Register.DI, 8)));
            a.pushfd();
            a.pop(edx);
            a.mov(__dword_ptr[di + 12], edx);
        });
    }

    [TestCaseSource(nameof(Shifts))]
    public void Shift(string op, int size)
    {
        var values = Values(size, new Random(size));
        var entries = (from v in values from carry in new[] { 0u, 1u } select (v, 0u, carry)).ToArray();
        var immediate = RandomInstructions.Code($"{op}_rm{size}_imm8");
        var byCl = RandomInstructions.Code($"{op}_rm{size}_CL");
        var value = Reg(Register.EAX, size);
        RunTable(entries, resultBytes: ShiftCounts.Length * 16, a =>
        {
            for (var i = 0; i < ShiftCounts.Length; i++)
            {
                LoadOperands(a);
                a.AddInstruction(Instruction.Create(immediate, value, ShiftCounts[i]));
                Record(a, i * 16);

                LoadOperands(a);
                a.mov(cl, (byte)ShiftCounts[i]);
                a.AddInstruction(Instruction.Create(byCl, value, Register.CL));
                Record(a, (i * 16) + 8);
            }
        });
    }

    /// <summary>
    /// Operation; SETcc (reads one to three flags); a writer that overwrites all flags, all but CF, only CF and OF,
    /// or possibly none (a shift by CL); PUSHFD. The liveness pass then asks the operation for the condition's flags
    /// plus those the writer leaves, for every condition, size and writer.
    /// </summary>
    [TestCaseSource(nameof(Producers))]
    public void LiveFlagSubsets(string producer)
    {
        var random = new Random(producer.Length);
        var entries = Enumerable.Range(0, 24).Select(i => (Pick(random), Pick(random), (uint)i & 1)).ToArray();
        RunTable(entries, resultBytes: Sizes.Length * RandomInstructions.Conditions.Length * 8, a =>
        {
            var slot = 0;
            foreach (var size in Sizes)
            {
                foreach (var condition in RandomInstructions.Conditions)
                {
                    LoadOperands(a);
                    a.AddInstruction(Producer(producer, size));
                    a.AddInstruction(Instruction.Create(RandomInstructions.Code($"Set{condition}_rm8"), Register.DL));
                    switch (slot % 4)
                    {
                        case 0: a.cmp(esi, esi); break;
                        case 1: a.inc(dh); break;
                        case 2: a.rol(dh, 1); break;
                        default: a.shl(dh, cl); break;
                    }

                    a.pushfd();
                    a.pop(ebx);
                    a.mov(__byte_ptr[di + (slot * 8)], dl);
                    a.mov(__dword_ptr[di + (slot * 8) + 4], ebx);
                    slot++;
                }
            }
        });
    }

    private static Instruction Producer(string producer, int size)
    {
        var parts = producer.Split('_');
        var value = Reg(Register.EAX, size);
        return parts.Length == 1
            ? BinaryOps.Contains(parts[0])
                ? Instruction.Create(RandomInstructions.Code($"{parts[0]}_rm{size}_r{size}"), value, Reg(Register.ECX, size))
                : Instruction.Create(RandomInstructions.Code($"{parts[0]}_rm{size}"), value)
            : parts[1] == "CL"
                ? Instruction.Create(RandomInstructions.Code($"{producer.Replace("_CL", $"_rm{size}_CL")}"), value, Register.CL)
                : Instruction.Create(RandomInstructions.Code($"{parts[0]}_rm{size}_imm8"), value, 3);
    }

    /// <summary>
    /// Writes the (a, b, carry) table at DS:0, then runs a loop that points SI at each entry and DI at its
    /// <paramref name="resultBytes"/> of results from DS:<see cref="ResultBase"/>, on both tiers.
    /// </summary>
    private static void RunTable((uint A, uint B, uint Carry)[] entries, int resultBytes, Action<Assembler> body)
    {
        Assert.That(ResultBase + ((long)entries.Length * resultBytes), Is.LessThanOrEqualTo(0x1_0000), "results past the data segment");
        var table = new byte[entries.Length * EntryBytes];
        for (var i = 0; i < entries.Length; i++)
        {
            BitConverter.TryWriteBytes(table.AsSpan(i * EntryBytes), entries[i].A);
            BitConverter.TryWriteBytes(table.AsSpan((i * EntryBytes) + 4), entries[i].B);
            BitConverter.TryWriteBytes(table.AsSpan((i * EntryBytes) + 8), entries[i].Carry);
        }

        var pair = new TierPair();
        pair.Load(new Random(entries.Length), a =>
        {
            var next = a.CreateLabel();
            a.nop();
            a.xor(si, si);
            a.mov(di, ResultBase);
            a.mov(bp, (short)entries.Length);
            a.Label(ref next);
            body(a);
            a.add(si, EntryBytes);
            a.add(di, (short)resultBytes);
            a.dec(bp);
            a.jnz(next);
        });
        pair.WriteData(0, table);

        Assert.That(pair.RunAndCompare(RunLimit), Is.Null);
        Assert.That(pair.Reference.Registers.BP, Is.Zero, "the loop did not finish");
        Assert.That(pair.Candidate.Cpu.TranslatedInstructions, Is.GreaterThan(entries.Length * 4L), "the loop was not translated");
    }

    /// <summary>CF from the entry's carry word; EAX = a, ECX = b (and CL the count), EBX = a.</summary>
    private static void LoadOperands(Assembler a)
    {
        SetCarry(a);
        a.mov(eax, __dword_ptr[si]);
        a.mov(ecx, __dword_ptr[si + 4]);
        a.mov(ebx, eax);
    }

    private static void SetCarry(Assembler a) => a.bt(__dword_ptr[si + 8], 0);

    /// <summary>EAX and EFLAGS to the entry's results at <paramref name="offset"/>.</summary>
    private static void Record(Assembler a, int offset)
    {
        a.pushfd();
        a.pop(edx);
        a.mov(__dword_ptr[di + offset], eax);
        a.mov(__dword_ptr[di + offset + 4], edx);
    }

    private static MemoryOperand Operand(Register baseRegister, int displacement) =>
        new(baseRegister, Register.None, 1, displacement, 1);

    private static Register Reg(Register dword, int size) => size switch
    {
        8 => dword - Register.EAX + Register.AL,
        16 => dword - Register.EAX + Register.AX,
        _ => dword,
    };

    /// <summary>Edge values of the operand size and a few random ones.</summary>
    private static uint[] Values(int size, Random random)
    {
        var mask = size == 32 ? uint.MaxValue : (1u << size) - 1;
        var sign = 1u << (size - 1);
        uint[] edges = [0, 1, 2, 0xF, 0x10, sign - 1, sign, sign + 1, mask - 1, mask, 0x5555_5555 & mask, 0xAAAA_AAAA & mask];
        return [.. edges, .. Enumerable.Range(0, RandomValues).Select(_ => (uint)random.NextInt64(0, 1L << 32) & mask)];
    }

    private static uint Pick(Random random) => random.Next(4) switch
    {
        0 => 0,
        1 => random.Next(2) == 0 ? 0x8000_0000u : 0x7FFF_FFFFu,
        2 => 0xFFFF_FFFF,
        _ => (uint)random.NextInt64(0, 1L << 32),
    };
}
