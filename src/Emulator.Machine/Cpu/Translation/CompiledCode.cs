namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// The compiled code of one block's bytes, shared by every block with those bytes
/// (<see cref="CompiledCodeCache"/>). Null until compiled: with background translation the block
/// compiler's thread fills it while the machine thread keeps interpreting the block.
/// </summary>
internal sealed class CompiledCode
{
    /// <summary>Code for blocks the tier does not translate (never run: their entry check fails).</summary>
    public static readonly CompiledCode None = new(static _ => 0);

    private volatile Func<BlockRuntime, long>? _run;

    public CompiledCode(Func<BlockRuntime, long>? run = null) => _run = run;

    /// <summary>The delegate, or null while it is being compiled.</summary>
    public Func<BlockRuntime, long>? Run
    {
        get => _run;
        set => _run = value;
    }
}
