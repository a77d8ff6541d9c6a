namespace Emulator.Machine.Cpu;

/// <summary>The six segment registers, in the x86 encoding order (the ModRM <c>reg</c> field of <c>MOV Sreg</c>).</summary>
public enum SegmentRegister
{
    /// <summary>The extra segment: the destination of string instructions.</summary>
    ES = 0,
    /// <summary>The code segment.</summary>
    CS = 1,
    /// <summary>The stack segment.</summary>
    SS = 2,
    /// <summary>The default data segment.</summary>
    DS = 3,
    /// <summary>The FS data segment (80386 and later).</summary>
    FS = 4,
    /// <summary>The GS data segment (80386 and later).</summary>
    GS = 5,
}
