using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu.Translation;

/// <summary>
/// Background translation (docs/translating-cpu.md): hot blocks are queued to the block compiler's thread
/// and interpreted until their code is ready, so the guest-visible result is the interpreter's whatever the
/// timing; once compiled, the code runs (here found again by content after the loop is reloaded).
/// </summary>
public class BackgroundTranslationTests
{
    private const ushort Iterations = 500;
    private static readonly TimeSpan CompileWait = TimeSpan.FromSeconds(120);

    [Test]
    public void Loop_CompiledInBackground_MatchesTheInterpreterThenRunsTranslated()
    {
        var pair = new TierPair();
        var cpu = pair.Candidate.Cpu;
        cpu.BackgroundTranslation = true;
        pair.Load(new Random(3), Loop);

        Assert.That(pair.RunAndCompare(), Is.Null, "while compiling");
        Assert.That(cpu.BlocksTranslated, Is.GreaterThan(0), "no block was queued");
        Assert.That(SpinWait.SpinUntil(() => cpu.TranslationCost.Blocks >= cpu.BlocksTranslated, CompileWait), Is.True, "the block compiler did not finish");

        // Reloading writes the same bytes: the blocks are dropped and found again with their compiled code.
        var before = cpu.TranslatedInstructions;
        pair.Load(new Random(4), Loop);
        Assert.That(pair.RunAndCompare(), Is.Null, "after compiling");
        Assert.That(cpu.TranslatedInstructions, Is.GreaterThan(before), "the compiled code did not run");
    }

    private static void Loop(Iced.Intel.Assembler a)
    {
        var top = a.CreateLabel();
        a.mov(cx, Iterations);
        a.Label(ref top);
        a.add(ax, bx);
        a.xor(dx, ax);
        a.dec(cx);
        a.jnz(top);
        a.hlt();
    }
}
