namespace Emulator.Machine.Cpu.Fpu;

/// <summary>
/// The x87 register file (Intel SDM vol. 1, 8.1): eight 80-bit data registers addressed as a stack
/// from TOP, the control and status words, which registers are empty, and the last-instruction and
/// last-operand pointers that FNSTENV/FNSAVE report. The tag word is stored only as empty/non-empty,
/// as on the hardware since the Pentium Pro; valid/zero/special are computed when it is stored.
/// </summary>
internal sealed class X87State
{
    public const int RegisterCount = 8;
    private const int StackMask = RegisterCount - 1;
    private const int TagBits = 2;
    private const int TagMask = 3;

    /// <summary>Tag-word encodings (Intel SDM vol. 1, figure 8-7).</summary>
    public const int TagValid = 0;
    public const int TagZero = 1;
    public const int TagSpecial = 2;
    public const int TagEmpty = 3;

    private readonly Float80[] _registers = new Float80[RegisterCount];

    /// <summary>Bit i set: physical register i is empty.</summary>
    private int _empty;

    public ushort Control { get; set; }

    /// <summary>The status word without TOP (see <see cref="StatusWord"/>).</summary>
    public ushort Status { get; set; }

    public int Top { get; set; }

    /// <summary>FIP, FCS and the 11-bit opcode of the last non-control instruction.</summary>
    public uint InstructionOffset { get; set; }

    public ushort InstructionSelector { get; set; }

    public ushort Opcode { get; set; }

    /// <summary>FDP and FDS: the memory operand of the last non-control instruction that had one.</summary>
    public uint OperandOffset { get; set; }

    public ushort OperandSelector { get; set; }

    /// <summary>
    /// The FERR# output (not architectural state): called with true when a waiting instruction finds an
    /// unmasked exception pending while CR0.NE is clear. A PC board routes it to IRQ 13.
    /// </summary>
    public Action<bool>? ErrorPin { get; set; }

    /// <summary>IGNNE#: set by the board when software writes port F0h; cleared by FNINIT and FNCLEX.</summary>
    public bool IgnoreNumericError { get; set; }

    /// <summary>The status word as FNSTSW reads it: flags and condition codes with TOP in bits 11–13.</summary>
    public ushort StatusWord => (ushort)((Status & ~FpuStatus.TopMask) | (Top << FpuStatus.TopShift));

    /// <summary>An unmasked exception is pending: the next waiting instruction reports it.</summary>
    public bool ErrorPending => (Status & FpuStatus.ErrorSummary) != 0;

    /// <summary>Processor reset (Intel SDM vol. 3, table 10-1): CW 0040h, SW 0, all tags valid (zero) with +0.0.</summary>
    public void Reset()
    {
        Array.Clear(_registers);
        Control = FpuControl.ResetValue;
        Status = 0;
        Top = 0;
        _empty = 0;
        IgnoreNumericError = false;
        ClearPointers();
    }

    /// <summary>FNINIT: CW 037Fh, SW 0, every register empty, the pointers cleared; the data registers keep their bits.</summary>
    public void Initialize()
    {
        Control = FpuControl.InitValue;
        Status = 0;
        Top = 0;
        _empty = (1 << RegisterCount) - 1;
        ClearPointers();
    }

    public int Physical(int stackIndex) => (Top + stackIndex) & StackMask;

    public bool IsEmpty(int stackIndex) => (_empty & (1 << Physical(stackIndex))) != 0;

    public Float80 Get(int stackIndex) => _registers[Physical(stackIndex)];

    /// <summary>Writes ST(i) and marks it in use.</summary>
    public void Set(int stackIndex, Float80 value)
    {
        var physical = Physical(stackIndex);
        _registers[physical] = value;
        _empty &= ~(1 << physical);
    }

    public void Free(int stackIndex) => _empty |= 1 << Physical(stackIndex);

    /// <summary>Marks ST(0) empty and increments TOP.</summary>
    public void Pop()
    {
        Free(0);
        Top = (Top + 1) & StackMask;
    }

    /// <summary>Decrements TOP and writes the new ST(0).</summary>
    public void Push(Float80 value)
    {
        Top = (Top - 1) & StackMask;
        Set(0, value);
    }

    public void IncrementTop() => Top = (Top + 1) & StackMask;

    public void DecrementTop() => Top = (Top - 1) & StackMask;

    public Float80 GetPhysical(int physical) => _registers[physical];

    public void SetPhysical(int physical, Float80 value) => _registers[physical] = value;

    /// <summary>The full tag word, each register classified from its contents (FNSTENV, FNSAVE).</summary>
    public ushort TagWord()
    {
        var tags = 0;
        for (var i = 0; i < RegisterCount; i++)
        {
            tags |= Classify(i) << (TagBits * i);
        }

        return (ushort)tags;
    }

    /// <summary>FLDENV/FRSTOR: only "empty" (11) versus anything else is kept.</summary>
    public void LoadTagWord(ushort tags)
    {
        _empty = 0;
        for (var i = 0; i < RegisterCount; i++)
        {
            if (((tags >> (TagBits * i)) & TagMask) == TagEmpty)
            {
                _empty |= 1 << i;
            }
        }
    }

    /// <summary>
    /// Sets ES and B when an unmasked exception flag is set, clears them otherwise (after FLDCW,
    /// FLDENV, FRSTOR and every instruction that raised something).
    /// </summary>
    public void UpdateErrorSummary()
    {
        if ((Status & ~Control & FpuStatus.Exceptions) != 0)
        {
            Status |= FpuStatus.ErrorSummary | FpuStatus.Busy;
        }
        else
        {
            Status &= unchecked((ushort)~(FpuStatus.ErrorSummary | FpuStatus.Busy));
        }
    }

    private int Classify(int physical)
    {
        if ((_empty & (1 << physical)) != 0)
        {
            return TagEmpty;
        }

        var value = _registers[physical];
        if (value.IsZero)
        {
            return TagZero;
        }

        return value.BiasedExponent == Float80.MaxBiased || value.BiasedExponent == 0 || (value.Significand & Float80.IntegerBit) == 0
            ? TagSpecial
            : TagValid;
    }

    private void ClearPointers()
    {
        InstructionOffset = 0;
        InstructionSelector = 0;
        Opcode = 0;
        OperandOffset = 0;
        OperandSelector = 0;
    }
}
