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

    /// <summary><see cref="_claims"/> once the block compiler dropped the job: no valid block wanted the code any more.</summary>
    private const int Abandoned = -1;

    private volatile Func<BlockRuntime, long>? _run;

    /// <summary>
    /// Valid blocks waiting for this code (the creating block's claim included), or <see cref="Abandoned"/>. Counted
    /// only until the code is compiled; after that nothing reads it. A block evicted or dropped before its turn in
    /// the compile queue releases its claim, and a job nobody claims any more is skipped instead of compiled
    /// (in a Linux boot most evicted blocks had not been compiled yet).
    /// </summary>
    private int _claims = 1;

    public CompiledCode(Func<BlockRuntime, long>? run = null) => _run = run;

    /// <summary>The delegate, or null while it is being compiled.</summary>
    public Func<BlockRuntime, long>? Run
    {
        get => _run;
        set => _run = value;
    }

    /// <summary>A further block takes this code (the content cache found it); false when it was abandoned and must be compiled anew.</summary>
    public bool TryClaim()
    {
        while (true)
        {
            var claims = Volatile.Read(ref _claims);
            if (claims == Abandoned)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _claims, claims + 1, claims) == claims)
            {
                return true;
            }
        }
    }

    /// <summary>A block that took this code was evicted or dropped.</summary>
    public void Release()
    {
        if (_run is null)
        {
            Interlocked.Decrement(ref _claims);
        }
    }

    /// <summary>On the block compiler's thread, before compiling: true (and the code abandoned for good) when no valid block claims it.</summary>
    public bool TryAbandon() => Interlocked.CompareExchange(ref _claims, Abandoned, 0) == 0;
}
