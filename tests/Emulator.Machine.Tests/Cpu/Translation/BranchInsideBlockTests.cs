using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu.Translation;

/// <summary>
/// Branches whose target is an instruction of the same block (docs/translating-cpu.md, "Branches inside a block"):
/// an if/else inside a loop, a loop whose head is not the block's entry, a RET and a JMP that formation went on past
/// because an earlier branch lands after them. Each test runs the interpreter and the translating tier on the same
/// code and state and compares registers, flags, EIP, the instruction count and memory.
/// </summary>
public class BranchInsideBlockTests
{
    private const int Trials = 120;
    private const int Iterations = 1000;

    [Test]
    public void IfElseAndInnerLoops_RandomConditionsAndOperands_MatchInterpreter()
    {
        var random = new Random(2024);
        var pair = new TierPair();
        for (var trial = 0; trial < Trials; trial++)
        {
            var conditions = Enumerable.Range(0, 3).Select(_ => RandomInstructions.Conditions[random.Next(RandomInstructions.Conditions.Length)]).ToArray();
            var operations = new[]
            {
                RandomInstructions.AluRegister(random), RandomInstructions.AluMemory(random), RandomInstructions.AluImmediate(random),
                RandomInstructions.Unary(random), RandomInstructions.AluMemory(random), RandomInstructions.Shift(random),
            };
            pair.Load(random, RandomShape(operations, conditions, iterations: 9));

            var difference = pair.RunAndCompare();

            Assert.That(difference, Is.Null, $"trial {trial}: {string.Join("; ", operations)}; j{string.Join("/j", conditions)}");
        }
    }

    [Test]
    public void IfElseInsideLoop_MatchesAtEveryBudget()
    {
        var pair = new TierPair();
        var random = new Random(31);
        for (long budget = 1; budget <= 90; budget++)
        {
            pair.Load(random, IfElseLoop(iterations: 10));

            var difference = pair.RunAndCompare(budget);

            Assert.That(difference, Is.Null, $"budget {budget}");
        }
    }

    [Test]
    public void LoopWhoseHeadIsNotTheEntry_MatchesAtEveryBudget()
    {
        var pair = new TierPair();
        var random = new Random(32);
        for (long budget = 1; budget <= 70; budget++)
        {
            pair.Load(random, a =>
            {
                var head = a.CreateLabel();
                var done = a.CreateLabel();
                a.mov(dx, 6);
                a.xor(ax, ax);
                a.Label(ref head);
                a.add(ax, dx);
                a.dec(dx);
                a.jz(done);
                a.jmp(head);
                a.Label(ref done);
                a.mov(bx, ax);
            });

            var difference = pair.RunAndCompare(budget);

            Assert.That(difference, Is.Null, $"budget {budget}");
        }
    }

    [Test]
    public void IfElseInsideLoop_GoesRoundInsideOneBlock()
    {
        var pair = new TierPair();
        pair.Load(new Random(33), IfElseLoop(Iterations));

        Assert.That(pair.RunAndCompare(), Is.Null);

        // Both arms and the loop's back branch stay inside the block formed at its entry: a handful of entries, not one
        // or two per iteration.
        Assert.That(pair.Candidate.Cpu.BlocksRun, Is.LessThan(10));
        Assert.That(pair.Candidate.Cpu.TranslatedInstructions, Is.GreaterThan(Iterations * 5));
    }

    [Test]
    public void DeferrableWriterBeforeABranchTarget_FaultThereHasTheJumpingPathsFlags()
    {
        var pair = new TierPair();

        // Reached through the JNZ, the ADD DX,[BX] at "target" faults (a word at offset FFFF) with TEST's flags (a nonzero
        // result). The ADD AX,BX on the other path, whose flags ADD DX,[BX] overwrites, must not leave its flags pending
        // into "target".
        pair.Load(new Random(34), a =>
        {
            var target = a.CreateLabel();
            a.mov(bx, 0xFFFF);
            a.mov(cx, 3);
            a.add(si, di);
            a.test(cx, 1);
            a.jnz(target);
            a.add(ax, bx);
            a.Label(ref target);
            a.add(dx, __word_ptr[bx]);
            a.inc(si);
        });

        Assert.That(pair.RunAndCompare(), Is.Null);
        Assert.That(pair.Candidate.Registers.CS, Is.EqualTo(TierPair.HandlerSegment), "the #GP handler did not run");
    }

    /// <summary>
    /// mov cx, n; top: test cx, 1; jz even; add ax, cx; jmp next; even: sub bx, cx; next: dec cx; jnz top — the
    /// benchmark's branch-heavy loop: both arms and the back branch are inside the block formed at <c>top</c>.
    /// </summary>
    private static Action<Assembler> IfElseLoop(int iterations) => a =>
    {
        var top = a.CreateLabel();
        var even = a.CreateLabel();
        var next = a.CreateLabel();
        a.mov(cx, (ushort)iterations);
        a.Label(ref top);
        a.test(cx, 1);
        a.jz(even);
        a.add(ax, cx);
        a.jmp(next);
        a.Label(ref even);
        a.sub(bx, cx);
        a.Label(ref next);
        a.dec(cx);
        a.jnz(top);
        a.mov(dx, ax);
    };

    /// <summary>
    /// An outer counted loop holding an if/else, a loop whose head is in its middle (left by a forward Jcc past the
    /// back JMP) and a call to a helper that returns from two places (a RET formation goes on past).
    /// </summary>
    private static Action<Assembler> RandomShape(Instruction[] operations, string[] conditions, int iterations) => a =>
    {
        var top = a.CreateLabel();
        var elseArm = a.CreateLabel();
        var joined = a.CreateLabel();
        var innerHead = a.CreateLabel();
        var innerDone = a.CreateLabel();
        var helper = a.CreateLabel();
        var other = a.CreateLabel();
        var end = a.CreateLabel();
        a.mov(bp, (ushort)iterations);
        a.Label(ref top);
        a.AddInstruction(operations[0]);
        RandomInstructions.Jcc(a, conditions[0], elseArm);
        a.AddInstruction(operations[1]);
        a.jmp(joined);
        a.Label(ref elseArm);
        a.AddInstruction(operations[2]);
        a.Label(ref joined);
        a.mov(di, 3);
        a.Label(ref innerHead);
        a.AddInstruction(operations[3]);
        a.dec(di);
        a.jz(innerDone);
        a.jmp(innerHead);
        a.Label(ref innerDone);
        a.call(helper);
        a.dec(bp);
        a.jnz(top);
        a.jmp(end);
        a.Label(ref helper);
        a.AddInstruction(operations[4]);
        RandomInstructions.Jcc(a, conditions[1], other);
        a.AddInstruction(operations[5]);
        a.ret();
        a.Label(ref other);
        RandomInstructions.Jcc(a, conditions[2], end);
        a.ret();
        a.Label(ref end);
    };
}
