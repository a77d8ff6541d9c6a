namespace Emulator.Machine.Cpu;

/// <summary>
/// A processor exception raised while executing an instruction (#DE, #UD, #GP …). Thrown inside the
/// interpreter only and caught by <see cref="X86Cpu.Run"/>, which restores the faulting instruction's
/// IP and SP and delivers the vector; it never leaves the CPU.
/// </summary>
internal sealed class CpuFault : Exception
{
    public CpuFault()
    {
    }

    public CpuFault(string message)
        : base(message)
    {
    }

    public CpuFault(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CpuFault(byte vector, int errorCode)
        : base($"CPU exception {vector}")
    {
        Vector = vector;
        ErrorCode = errorCode;
    }

    public byte Vector { get; }

    /// <summary>The error code pushed in protected mode, or -1 for vectors that have none.</summary>
    public int ErrorCode { get; } = -1;
}
