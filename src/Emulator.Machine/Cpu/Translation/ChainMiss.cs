namespace Emulator.Machine.Cpu.Translation;

/// <summary>Why a block entry took the full lookup instead of a predecessor's link (<c>emu boot --stats</c>).</summary>
internal enum ChainMiss
{
    /// <summary>No translated block ran just before (an interpreted instruction, an interrupt or fault delivery, a new run).</summary>
    NoPredecessor,

    /// <summary>The predecessor has no link for this address (a third successor, as after RET or an indirect jump, or the first time).</summary>
    NoLink,

    /// <summary>The linked block was dropped (code write, eviction, reset).</summary>
    Dropped,

    /// <summary>Paging on and the fetch address missed the TLB.</summary>
    TlbMiss,

    /// <summary>The fetch now maps elsewhere or the CS/SS sizes changed.</summary>
    OtherKey,
}
