namespace Emulator.Machine.Cpu;

/// <summary>EFLAGS bits (Intel SDM vol. 1, 3.4.3) and the masks the interpreter uses.</summary>
internal static class Eflags
{
    public const uint Carry = 1 << 0;
    public const uint Reserved1 = 1 << 1;
    public const uint Parity = 1 << 2;
    public const uint Adjust = 1 << 4;
    public const uint Zero = 1 << 6;
    public const uint Sign = 1 << 7;
    public const uint Trap = 1 << 8;
    public const uint Interrupt = 1 << 9;
    public const uint Direction = 1 << 10;
    public const uint Overflow = 1 << 11;
    public const uint IoplMask = 3 << 12;
    public const uint NestedTask = 1 << 14;
    public const uint Resume = 1 << 16;
    public const uint Virtual8086 = 1 << 17;
    public const uint AlignmentCheck = 1 << 18;
    public const uint Identification = 1 << 21;

    /// <summary>The six status flags an arithmetic instruction writes.</summary>
    public const uint Status = Carry | Parity | Adjust | Zero | Sign | Overflow;

    /// <summary>Bits POPF can change with a 16-bit operand in real mode: everything below bit 15 except the fixed bits.</summary>
    public const uint Writable16 = Status | Trap | Interrupt | Direction | IoplMask | NestedTask;

    /// <summary>Bits POPFD can change (AC and ID let software detect a 486 and CPUID; VM and RF are left alone).</summary>
    public const uint Writable32 = Writable16 | AlignmentCheck | Identification;

    /// <summary>Bits SAHF loads from AH.</summary>
    public const uint LowStatus = Carry | Parity | Adjust | Zero | Sign;
}
