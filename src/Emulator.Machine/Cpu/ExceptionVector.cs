namespace Emulator.Machine.Cpu;

/// <summary>Processor exception vectors (Intel SDM vol. 3, table 6-1).</summary>
internal static class ExceptionVector
{
    public const byte DivideError = 0;
    public const byte Debug = 1;
    public const byte Breakpoint = 3;
    public const byte Overflow = 4;
    public const byte BoundRange = 5;
    public const byte InvalidOpcode = 6;
    public const byte DeviceNotAvailable = 7;
    public const byte DoubleFault = 8;
    public const byte InvalidTss = 10;
    public const byte SegmentNotPresent = 11;
    public const byte StackFault = 12;
    public const byte GeneralProtection = 13;
    public const byte PageFault = 14;

    /// <summary>No error code is pushed.</summary>
    public const int NoErrorCode = -1;
}
