namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// Why the tier left an instruction boundary to the interpreter (<see cref="TranslatingTier.TryRun"/> answered
/// <see cref="BlockOutcome.NotRun"/>): counted per interpreted instruction for <c>emu boot --stats</c>.
/// </summary>
internal enum InterpretReason
{
    /// <summary>The fetch address did not translate without a fault (the interpreter delivers it).</summary>
    FetchFault,

    /// <summary>The key has been entered fewer than <see cref="TranslatingTier.Threshold"/> times.</summary>
    BelowThreshold,

    /// <summary>Formed and queued, the block compiler's thread has not delivered its code yet.</summary>
    Compiling,

    /// <summary>The page was dropped <see cref="TranslatingTier.DropLimit"/> times: only interpreted.</summary>
    Excluded,

    /// <summary>The first instruction has no translation (or is one a block would only hand to the interpreter).</summary>
    Untranslatable,

    /// <summary>The block would run past the CS limit (or wrap IP in 16-bit code) from this EIP.</summary>
    PastLimit,

    /// <summary>The block's instructions do not fit the remaining budget (virtual time would be overshot).</summary>
    Budget,
}
