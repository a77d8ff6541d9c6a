namespace Emulator.Machine.Cpu;

/// <summary>What started a task switch; it decides the busy bits, the link field and NT (Intel SDM vol. 3, table 7-2).</summary>
internal enum TaskSwitchReason
{
    /// <summary>Far JMP to a TSS or task gate: the old task becomes not busy, no link.</summary>
    Jump,

    /// <summary>Far CALL to a TSS or task gate: the new task links back and runs with NT set.</summary>
    Call,

    /// <summary>An interrupt or exception through a task gate: as CALL.</summary>
    Interrupt,

    /// <summary>IRET with NT set: back to the (busy) linked task; the old one becomes not busy.</summary>
    Iret,
}
