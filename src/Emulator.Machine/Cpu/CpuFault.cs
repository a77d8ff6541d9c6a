namespace Emulator.Machine.Cpu;

/// <summary>
/// A processor exception raised by an instruction (#DE, #UD, #GP, #PF …), as a value. A unit that
/// faults stores it in <see cref="ExecutionCore.Fault"/> and returns false; <see cref="X86Cpu.Run"/>
/// restores the faulting instruction's EIP and ESP and delivers it. Nothing is allocated or thrown
/// on this path (docs/cpu-memory-unit.md).
/// </summary>
internal readonly struct CpuFault(byte vector, int errorCode, uint address)
{
    public byte Vector { get; } = vector;

    /// <summary>The error code pushed in protected mode, or <see cref="ExceptionVector.NoErrorCode"/>.</summary>
    public int ErrorCode { get; } = errorCode;

    /// <summary>For #PF, the linear address that goes to CR2 when the fault is delivered.</summary>
    public uint Address { get; } = address;
}
