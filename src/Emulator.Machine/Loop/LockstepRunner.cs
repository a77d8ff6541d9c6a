using System.Text;
using Emulator.Machine.Cpu;

namespace Emulator.Machine.Loop;

/// <summary>
/// The differential mode of the translating tier (docs/translating-cpu.md): two machines built alike,
/// a reference (normally the interpreter alone) and a candidate (the translating tier), run in equal
/// instruction slices. Time is a function of instructions, so both must stay identical: after every
/// slice the CPU state (general registers, EIP, EFLAGS, CR0/CR2/CR3/CR4, each segment's selector, base and
/// limit, instruction count) is compared, and all of RAM every <see cref="RamCheckInterval"/> slices and at
/// the end. The run stops at the first divergence and describes it.
/// </summary>
internal sealed class LockstepRunner(PcMachine reference, PcMachine candidate)
{
    /// <summary>Instructions per slice: the granularity at which a divergence is caught.</summary>
    public long SliceInstructions { get; init; } = 256;

    /// <summary>Slices between full RAM comparisons.</summary>
    public int RamCheckInterval { get; init; } = 1024;

    /// <summary>Slices run so far.</summary>
    public long Slices { get; private set; }

    /// <summary>
    /// Runs until <paramref name="done"/> holds for the reference (checked after each slice), at most
    /// <paramref name="maxInstructions"/>; returns null when both machines stayed identical, otherwise
    /// a report of the first difference.
    /// </summary>
    public string? Run(Func<PcMachine, bool> done, long maxInstructions)
    {
        ArgumentNullException.ThrowIfNull(done);
        var limits = RunLimits.Instructions(SliceInstructions);
        while (reference.InstructionsExecuted < maxInstructions)
        {
            var before = reference.InstructionsExecuted;
            reference.Run(limits);
            candidate.Run(limits);
            Slices++;
            if (CompareCpu() is { } cpuDifference)
            {
                return $"after instruction {reference.InstructionsExecuted} (slice from {before}): {cpuDifference}";
            }

            var finished = done(reference);
            if ((Slices % RamCheckInterval == 0 || finished) && CompareRam() is { } ramDifference)
            {
                return $"by instruction {reference.InstructionsExecuted}: {ramDifference}";
            }

            if (finished)
            {
                return null;
            }

            if (reference.InstructionsExecuted == before && reference.State != MachineRunState.Running)
            {
                return done(reference) ? null : $"the reference machine stopped ({reference.State}) at instruction {before} before the end condition";
            }
        }

        return $"the end condition did not hold within {maxInstructions} instructions";
    }

    private static readonly SegmentRegister[] Segments = Enum.GetValues<SegmentRegister>();

    /// <summary>The per-slice comparison: no allocation unless something differs.</summary>
    private string? CompareCpu()
    {
        var a = reference.Cpu.Registers;
        var b = candidate.Cpu.Registers;
        if (SameCpu(a, b) && reference.InstructionsExecuted == candidate.InstructionsExecuted)
        {
            return null;
        }

        var report = new StringBuilder();
        Check(report, "instructions", (ulong)reference.InstructionsExecuted, (ulong)candidate.InstructionsExecuted);
        Check(report, "EIP", a.EIP, b.EIP);
        Check(report, "EFLAGS", a.EFLAGS, b.EFLAGS);
        Check(report, "EAX", a.EAX, b.EAX);
        Check(report, "ECX", a.ECX, b.ECX);
        Check(report, "EDX", a.EDX, b.EDX);
        Check(report, "EBX", a.EBX, b.EBX);
        Check(report, "ESP", a.ESP, b.ESP);
        Check(report, "EBP", a.EBP, b.EBP);
        Check(report, "ESI", a.ESI, b.ESI);
        Check(report, "EDI", a.EDI, b.EDI);
        Check(report, "CR0", a.CR0, b.CR0);
        Check(report, "CR2", a.CR2, b.CR2);
        Check(report, "CR3", a.CR3, b.CR3);
        Check(report, "CR4", a.CR4, b.CR4);
        foreach (var segment in Segments)
        {
            Check(report, segment.ToString(), a.GetSegment(segment).Selector, b.GetSegment(segment).Selector);
            Check(report, segment + ".base", a.GetSegment(segment).Base, b.GetSegment(segment).Base);
            Check(report, segment + ".limit", a.GetSegment(segment).Limit, b.GetSegment(segment).Limit);
        }

        return $"{report}at {a.CS:X4}:{a.EIP:X8}";
    }

    private static bool SameCpu(CpuRegisters a, CpuRegisters b)
    {
        if (a.EIP != b.EIP || a.EFLAGS != b.EFLAGS || a.EAX != b.EAX || a.ECX != b.ECX || a.EDX != b.EDX || a.EBX != b.EBX
            || a.ESP != b.ESP || a.EBP != b.EBP || a.ESI != b.ESI || a.EDI != b.EDI
            || a.CR0 != b.CR0 || a.CR2 != b.CR2 || a.CR3 != b.CR3 || a.CR4 != b.CR4)
        {
            return false;
        }

        foreach (var segment in Segments)
        {
            var x = a.GetSegment(segment);
            var y = b.GetSegment(segment);
            if (x.Selector != y.Selector || x.Base != y.Base || x.Limit != y.Limit)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// All of RAM, byte for byte, straight from the two arrays: reading through the CPU's view would
    /// reach MMIO (VGA latches, device registers) and change what the guest later sees.
    /// </summary>
    private string? CompareRam()
    {
        var left = reference.Memory.RamContents;
        var right = candidate.Memory.RamContents;
        var size = Math.Min(left.Length, right.Length);
        var at = left[..size].CommonPrefixLength(right[..size]);
        return at == size ? null : $"RAM byte {at:X8}: reference {left[at]:X2}, candidate {right[at]:X2}";
    }

    private static void Check(StringBuilder report, string name, ulong expected, ulong actual)
    {
        if (expected != actual)
        {
            report.Append($"{name}: reference {expected:X8}, candidate {actual:X8}; ");
        }
    }
}
