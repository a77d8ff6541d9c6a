namespace Emulator.Machine.Cpu.Fpu;

/// <summary>
/// One operation's view of the control word and what it raised: the exception flags (IE … PE), and
/// whether the rounded result's magnitude was increased (the C1 "round up" bit). The unit merges the
/// flags into the status word after the instruction.
/// </summary>
internal struct FloatContext(ushort control)
{
    /// <summary>IE, DE and ZE are detected before the result exists: unmasked, they leave the destination unchanged.</summary>
    private const ushort PreComputation = FpuStatus.InvalidOperation | FpuStatus.Denormal | FpuStatus.ZeroDivide;

    public ushort Control = control;
    public ushort Flags;
    public bool RoundedUp;

    public readonly RoundingMode Rounding => (RoundingMode)((Control & FpuControl.RoundingMask) >> FpuControl.RoundingShift);

    public readonly int PrecisionControl => (Control & FpuControl.PrecisionMask) >> FpuControl.PrecisionShift;

    /// <summary>An unmasked IE, DE or ZE was raised: the instruction must not write its destination or pop.</summary>
    public readonly bool Aborted => (Flags & ~Control & PreComputation) != 0;

    public readonly bool IsMasked(ushort exception) => (Control & exception) != 0;

    public void Raise(ushort exceptions) => Flags |= exceptions;

    /// <summary>Raises IE and returns what a masked IE delivers, the real indefinite.</summary>
    public Float80 Invalid()
    {
        Flags |= FpuStatus.InvalidOperation;
        return Float80.Indefinite;
    }
}
