namespace Emulator.Machine.Cpu;

/// <summary>The #PF error code bits (Intel SDM vol. 3, 4.7).</summary>
[Flags]
internal enum PageFaultError
{
    /// <summary>Clear: the page was not present. Set: a protection violation.</summary>
    Present = 1 << 0,

    /// <summary>The access was a write.</summary>
    Write = 1 << 1,

    /// <summary>The access was made at CPL 3.</summary>
    User = 1 << 2,

    /// <summary>A paging-structure entry had a reserved bit set (PAE entries above this machine's 32-bit physical space).</summary>
    Reserved = 1 << 3,
}
