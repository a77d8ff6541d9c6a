namespace Emulator.Machine.Cpu.Translation;

/// <summary>What <see cref="TranslatingTier.TryRun"/> did at an instruction boundary.</summary>
internal enum BlockOutcome
{
    /// <summary>No translated block fits here (not hot yet, not translatable, or over the budget): interpret one instruction.</summary>
    NotRun,

    /// <summary>Instructions ran and committed; EIP is the next one.</summary>
    Completed,

    /// <summary>The last counted instruction faulted: EIP and ESP are its own, the fault is latched in the core.</summary>
    Faulted,
}
