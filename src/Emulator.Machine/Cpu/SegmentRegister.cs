namespace Emulator.Machine.Cpu;

/// <summary>The six segment registers, in the x86 encoding order (the ModRM <c>reg</c> field of <c>MOV Sreg</c>).</summary>
public enum SegmentRegister
{
    ES = 0,
    CS = 1,
    SS = 2,
    DS = 3,
    FS = 4,
    GS = 5,
}
