namespace Emulator.Machine.Cpu.Fpu;

/// <summary>
/// x87 status-word bits (Intel SDM vol. 1, 8.1.3). The six exception flags share their positions with
/// the mask bits of the control word (<see cref="FpuControl"/>).
/// </summary>
internal static class FpuStatus
{
    public const ushort InvalidOperation = 1 << 0;
    public const ushort Denormal = 1 << 1;
    public const ushort ZeroDivide = 1 << 2;
    public const ushort Overflow = 1 << 3;
    public const ushort Underflow = 1 << 4;
    public const ushort Precision = 1 << 5;
    public const ushort StackFault = 1 << 6;
    public const ushort ErrorSummary = 1 << 7;
    public const ushort C0 = 1 << 8;
    public const ushort C1 = 1 << 9;
    public const ushort C2 = 1 << 10;
    public const int TopShift = 11;
    public const ushort TopMask = 7 << TopShift;
    public const ushort C3 = 1 << 14;
    public const ushort Busy = 1 << 15;

    /// <summary>IE, DE, ZE, OE, UE, PE.</summary>
    public const ushort Exceptions = InvalidOperation | Denormal | ZeroDivide | Overflow | Underflow | Precision;

    public const ushort ConditionCodes = C0 | C1 | C2 | C3;

    /// <summary>What FNCLEX clears: the exception flags, SF, ES and B.</summary>
    public const ushort Clearable = Exceptions | StackFault | ErrorSummary | Busy;
}
