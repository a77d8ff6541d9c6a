namespace Emulator.Machine.Cpu;

/// <summary>How far a processor exception got: delivered, escalated to a double fault, or a shutdown.</summary>
public enum CpuExceptionOutcome
{
    /// <summary>The exception's handler was entered.</summary>
    Delivered,

    /// <summary>Delivering it faulted; a double fault (#DF) was delivered instead.</summary>
    DoubleFault,

    /// <summary>Delivering the double fault faulted too: the processor shut down (a PC resets).</summary>
    Shutdown,

    /// <summary>
    /// Delivering it raised an exception that is handled serially (not a double fault, Intel SDM vol. 3,
    /// table 6-5): that exception was delivered in its place (its own record follows).
    /// </summary>
    Superseded,
}

/// <summary>
/// One processor exception as <see cref="X86Cpu.ExceptionRaised"/> reports it (QEMU's <c>-d int</c>):
/// the vector and error code, where the faulting instruction was, CR2 for a page fault, the privilege
/// level it ran at, and how delivery ended.
/// </summary>
public readonly record struct CpuExceptionRecord(
    byte Vector,
    int ErrorCode,
    ushort CodeSelector,
    uint Eip,
    uint Cr2,
    int Cpl,
    long Instruction,
    CpuExceptionOutcome Outcome)
{
    /// <summary>One log line: <c>#PF(0002) at 0010:C1234567 cr2=00000000 cpl=0 insn=123 -> delivered</c>.</summary>
    public override string ToString()
    {
        var code = ErrorCode == ExceptionVector.NoErrorCode ? string.Empty : $"({ErrorCode & 0xFFFF:X4})";
        var outcome = Outcome switch
        {
            CpuExceptionOutcome.DoubleFault => "double fault",
            CpuExceptionOutcome.Shutdown => "shutdown",
            CpuExceptionOutcome.Superseded => "superseded",
            _ => "delivered",
        };
        return $"{Mnemonic(Vector)}{code} at {CodeSelector:X4}:{Eip:X8} cr2={Cr2:X8} cpl={Cpl} insn={Instruction} -> {outcome}";
    }

    private static string Mnemonic(byte vector) => vector switch
    {
        0 => "#DE", 1 => "#DB", 3 => "#BP", 4 => "#OF", 5 => "#BR", 6 => "#UD", 7 => "#NM", 8 => "#DF",
        10 => "#TS", 11 => "#NP", 12 => "#SS", 13 => "#GP", 14 => "#PF", 16 => "#MF", 17 => "#AC", 18 => "#MC", 19 => "#XM",
        _ => $"vector {vector}",
    };
}
