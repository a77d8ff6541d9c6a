namespace Emulator.Machine.Memory;

/// <summary>How the CPU fast paths may touch one 4 KiB physical page.</summary>
[Flags]
internal enum PageFlags : byte
{
    None = 0,

    /// <summary>Reads come straight from the RAM array (plain RAM or ROM shadowed into it).</summary>
    DirectRead = 1,

    /// <summary>Plain writable RAM (not ROM, not MMIO).</summary>
    Ram = 2,

    /// <summary>The CPU has decoded instructions from this page; writes must be reported.</summary>
    Code = 4,
}
