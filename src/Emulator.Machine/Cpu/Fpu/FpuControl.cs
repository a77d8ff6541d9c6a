namespace Emulator.Machine.Cpu.Fpu;

/// <summary>x87 control-word fields (Intel SDM vol. 1, 8.1.5).</summary>
internal static class FpuControl
{
    /// <summary>Bits 0–5: a set bit masks the exception of the same position in the status word.</summary>
    public const ushort ExceptionMasks = FpuStatus.Exceptions;

    public const int PrecisionShift = 8;
    public const ushort PrecisionMask = 3 << PrecisionShift;
    public const int RoundingShift = 10;
    public const ushort RoundingMask = 3 << RoundingShift;

    /// <summary>Infinity control: kept for the 287's sake, no effect on a 387 or later.</summary>
    public const ushort InfinityControl = 1 << 12;

    /// <summary>Bit 6 reads as one on every 387-compatible FPU.</summary>
    public const ushort Reserved6 = 1 << 6;

    /// <summary>The control word after FNINIT: everything masked, 64-bit precision, round to nearest.</summary>
    public const ushort InitValue = 0x037F;

    /// <summary>The control word after a processor reset (Intel SDM vol. 3, table 10-1).</summary>
    public const ushort ResetValue = 0x0040;

    /// <summary>The bits a control word keeps (the others read as zero, bit 6 as one).</summary>
    public const ushort Writable = ExceptionMasks | PrecisionMask | RoundingMask | InfinityControl;

    public const int PrecisionSingle = 0;
    public const int PrecisionDouble = 2;
}
