namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// Where the translating tier's host time went (docs/translating-cpu.md, `emu boot --stats`): blocks compiled,
/// then per phase — forming blocks from the decode cache, building expression trees, compiling them to IL
/// (the runtime's LambdaCompiler), and the JIT turning that IL into native code on a block's first run —
/// with the IL bytes the JIT compiled for blocks.
/// </summary>
/// <param name="Blocks">Blocks compiled.</param>
/// <param name="Form">Forming blocks (decode-cache fetches, live-flag pass), untranslatable starts included.</param>
/// <param name="Build">Building expression trees.</param>
/// <param name="Compile">Compiling trees to IL in dynamic methods.</param>
/// <param name="Jit">JIT compilation of those methods on their first run.</param>
/// <param name="IlBytes">IL bytes the JIT compiled for blocks.</param>
/// <param name="Skipped">Queued blocks the block compiler dropped because every block wanting them was evicted or dropped first.</param>
public readonly record struct TranslationCost(long Blocks, TimeSpan Form, TimeSpan Build, TimeSpan Compile, TimeSpan Jit, long IlBytes, long Skipped = 0)
{
    /// <summary>All phases together.</summary>
    public TimeSpan Total => Form + Build + Compile + Jit;
}
