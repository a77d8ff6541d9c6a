using System.Text;
using Emulator.Machine.Cpu;
using Iced.Intel;

namespace Emulator.Machine.Tests.Cpu.Translation;

/// <summary>
/// Two real-mode test machines, the interpreter alone and the translating tier (every block compiled on
/// first sight), given the same code, registers and data; <see cref="RunAndCompare"/> runs both and
/// describes the first difference in registers, flags, EIP, instruction count or the data and stack segments.
/// </summary>
internal sealed class TierPair
{
    public const ushort HandlerSegment = 0x5000;
    private const uint StatusFlags = 0x8D5;
    private const int SegmentBytes = 0x1_0000;
    private const long RunLimit = 10_000;
    private const byte GeneralProtection = 13;

    /// <summary>#DE, #BR, #UD, #SS and #GP: faults the random families can raise (divide, BOUND, LOCK misuse, limits).</summary>
    private static readonly byte[] HandledFaults = [0, 5, 6, 12, GeneralProtection];

    public TierPair()
    {
        Reference = new CpuTestMachine();
        Reference.Cpu.Tier = CpuTier.Interpreter;
        Candidate = new CpuTestMachine();
        Candidate.Cpu.Tier = CpuTier.Translator;
        Candidate.Cpu.TranslationThreshold = 1;
        Candidate.Cpu.TranslationDropLimit = int.MaxValue;
        foreach (var machine in Machines)
        {
            // A fault (a limit fault for a word at offset FFFF, a divide error...) lands in a handler that halts, in both tiers alike.
            foreach (var vector in HandledFaults)
            {
                machine.InstallHandler(vector, HandlerSegment, a => a.hlt());
            }
        }
    }

    public CpuTestMachine Reference { get; }

    public CpuTestMachine Candidate { get; }

    /// <summary>Both machines, for a change a test makes to each alike.</summary>
    public CpuTestMachine[] Machines => [Reference, Candidate];

    /// <summary>Loads the same code and a random state (general registers, status flags, data and stack bytes) into both machines.</summary>
    public void Load(Random random, Action<Assembler> build)
    {
        var registers = new uint[8];
        for (var i = 0; i < registers.Length; i++)
        {
            registers[i] = (uint)random.NextInt64(0, 1L << 32);
        }

        var flags = (uint)random.Next() & StatusFlags;
        var data = new byte[SegmentBytes];
        random.NextBytes(data);
        var stack = new byte[SegmentBytes];
        random.NextBytes(stack);
        foreach (var machine in Machines)
        {
            machine.Load16(build);
            var r = machine.Registers;
            (r.EAX, r.ECX, r.EDX, r.EBX, r.EBP, r.ESI, r.EDI) = (registers[0], registers[1], registers[2], registers[3], registers[5], registers[6], registers[7]);
            r.ESP = CpuTestMachine.StackTop - (registers[4] & 0xFF);
            r.EFLAGS = flags;
            machine.Cpu.Halted = false;
            machine.Memory.Write(CpuTestMachine.Physical(CpuTestMachine.DataSegment, 0), data);
            machine.Memory.Write(CpuTestMachine.Physical(CpuTestMachine.StackSegment, 0), stack);
        }
    }

    /// <summary>Writes the same bytes into both machines' data segment at <paramref name="offset"/>.</summary>
    public void WriteData(uint offset, byte[] bytes)
    {
        foreach (var machine in Machines)
        {
            machine.Memory.Write(CpuTestMachine.Physical(CpuTestMachine.DataSegment, offset), bytes);
        }
    }

    /// <summary>Runs both machines to HLT (or <paramref name="limit"/> instructions) and returns the first difference, or null.</summary>
    public string? RunAndCompare(long limit = RunLimit)
    {
        var ranReference = Reference.Cpu.Run(limit);
        var ranCandidate = Candidate.Cpu.Run(limit);
        var report = new StringBuilder();
        var a = Reference.Registers;
        var b = Candidate.Registers;
        Check(report, "instructions", (ulong)ranReference, (ulong)ranCandidate);
        Check(report, "EAX", a.EAX, b.EAX);
        Check(report, "ECX", a.ECX, b.ECX);
        Check(report, "EDX", a.EDX, b.EDX);
        Check(report, "EBX", a.EBX, b.EBX);
        Check(report, "ESP", a.ESP, b.ESP);
        Check(report, "EBP", a.EBP, b.EBP);
        Check(report, "ESI", a.ESI, b.ESI);
        Check(report, "EDI", a.EDI, b.EDI);
        Check(report, "EFLAGS", a.EFLAGS, b.EFLAGS);
        Check(report, "CS", a.CS, b.CS);
        Check(report, "EIP", a.EIP, b.EIP);
        CheckMemory(report, "data", CpuTestMachine.DataSegment);
        CheckMemory(report, "stack", CpuTestMachine.StackSegment);
        CheckMemory(report, "extra", CpuTestMachine.ExtraSegment);
        return report.Length == 0 ? null : report.ToString();
    }

    private static void Check(StringBuilder report, string name, ulong expected, ulong actual)
    {
        if (expected != actual)
        {
            report.Append($"{name}: interpreter {expected:X8}, translator {actual:X8}; ");
        }
    }

    private void CheckMemory(StringBuilder report, string name, ushort segment)
    {
        var expected = new byte[SegmentBytes];
        var actual = new byte[SegmentBytes];
        Reference.Memory.Read(CpuTestMachine.Physical(segment, 0), expected);
        Candidate.Memory.Read(CpuTestMachine.Physical(segment, 0), actual);
        var at = expected.AsSpan().CommonPrefixLength(actual);
        if (at < SegmentBytes)
        {
            report.Append($"{name} byte {at:X4}: interpreter {expected[at]:X2}, translator {actual[at]:X2}; ");
        }
    }
}
