namespace Emulator.Machine.Cpu;

/// <summary>The access byte of a segment descriptor (Intel SDM vol. 3, 3.4.5, tables 3-1 and 3-2).</summary>
internal static class DescriptorAccess
{
    public const byte Accessed = 1 << 0;

    /// <summary>Readable for code, writable for data.</summary>
    public const byte ReadWrite = 1 << 1;

    /// <summary>Conforming for code, expand-down for data.</summary>
    public const byte ConformingOrDown = 1 << 2;
    public const byte Code = 1 << 3;

    /// <summary>S: a code or data segment (clear for system descriptors: TSS, LDT, gates).</summary>
    public const byte CodeOrData = 1 << 4;
    public const int DplShift = 5;
    public const int DplMask = 3;
    public const byte Present = 1 << 7;

    /// <summary>The type field of a system descriptor.</summary>
    public const byte SystemTypeMask = 0x0F;
    public const byte AvailableTss16 = 0x1;
    public const byte Ldt = 0x2;
    public const byte BusyTss16 = 0x3;
    public const byte AvailableTss32 = 0x9;
    public const byte BusyTss32 = 0xB;

    /// <summary>The bit that marks a TSS busy (type 1/9 → 3/B).</summary>
    public const byte TssBusy = 1 << 1;

    /// <summary>Where the access byte sits in the 8-byte descriptor: byte 5 (bits 15-8 of its high doubleword).</summary>
    public const int ByteOffset = 5;

    private const int HighDwordShift = 8;

    public static int Dpl(byte access) => (access >> DplShift) & DplMask;

    /// <summary>The access byte of a descriptor whose high doubleword is <paramref name="high"/>.</summary>
    public static byte FromHighDword(uint high) => (byte)(high >> HighDwordShift);

    /// <summary>A 32-bit TSS descriptor, available or busy (the layout with ESP/EIP in doublewords, CR3 and the I/O bitmap).</summary>
    public static bool IsTss32(byte access) => (access & SystemTypeMask) is AvailableTss32 or BusyTss32;

    public static bool IsCode(byte access) => (access & (CodeOrData | Code)) == (CodeOrData | Code);

    public static bool IsConformingCode(byte access) => IsCode(access) && (access & ConformingOrDown) != 0;

    public static bool IsWritableData(byte access) => (access & (CodeOrData | Code | ReadWrite)) == (CodeOrData | ReadWrite);
}
