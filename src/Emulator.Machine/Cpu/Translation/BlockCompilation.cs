namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// Builds and compiles formed blocks for one tier and times each phase (tree building, IL emission by the
/// runtime's LambdaCompiler, the JIT, which runs inside that compilation) for <see cref="TranslationCost"/>.
/// Safe to call from the block compiler's thread (<see cref="BackgroundCompiler"/>) while the machine thread
/// reads the counters: they are updated with interlocked adds.
/// </summary>
internal sealed class BlockCompilation
{
    private long _blocks;
    private long _buildTicks;
    private long _compileTicks;
    private long _jitTicks;
    private long _ilBytes;
    private long _skipped;

    public long Blocks => Interlocked.Read(ref _blocks);

    public TimeSpan Build => Elapsed(Interlocked.Read(ref _buildTicks));

    public TimeSpan Compile => Elapsed(Interlocked.Read(ref _compileTicks));

    public TimeSpan Jit => TimeSpan.FromTicks(Interlocked.Read(ref _jitTicks));

    public long IlBytes => Interlocked.Read(ref _ilBytes);

    /// <summary>Queued blocks not compiled because no valid block wanted their code any more by their turn.</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    public void Skip() => Interlocked.Increment(ref _skipped);

    public static TimeSpan Elapsed(long stopwatchTicks) => System.Diagnostics.Stopwatch.GetElapsedTime(0, stopwatchTicks);

    /// <summary>
    /// The block's delegate (JIT-compiled already: the runtime compiles a dynamic method when its delegate is made),
    /// its method called <paramref name="name"/> (<see cref="TranslatingTier.MethodName"/>: what perf and the runtime's
    /// diagnostics show for the block).
    /// </summary>
    public Func<BlockRuntime, long> Run(List<BlockInstruction> block, bool codeBig, bool stackBig, bool flatData, string? name = null)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var tree = BlockCompiler.Build(block, codeBig, stackBig, flatData, name);
        var built = System.Diagnostics.Stopwatch.GetTimestamp();
        var jitBefore = System.Runtime.JitInfo.GetCompilationTime(currentThread: true);
        var ilBefore = System.Runtime.JitInfo.GetCompiledILBytes(currentThread: true);
        var code = tree.Compile();
        var jit = System.Runtime.JitInfo.GetCompilationTime(currentThread: true) - jitBefore;
        var compiled = System.Diagnostics.Stopwatch.GetTimestamp();
        Interlocked.Add(ref _ilBytes, System.Runtime.JitInfo.GetCompiledILBytes(currentThread: true) - ilBefore);
        Interlocked.Add(ref _jitTicks, jit.Ticks);
        Interlocked.Add(ref _buildTicks, built - started);
        Interlocked.Add(ref _compileTicks, compiled - built - (jit.Ticks * System.Diagnostics.Stopwatch.Frequency / TimeSpan.TicksPerSecond));
        Interlocked.Increment(ref _blocks);
        return code;
    }
}
