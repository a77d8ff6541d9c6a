namespace Emulator.Machine.Cpu;

/// <summary>Which execution tier an <see cref="X86Cpu"/> uses (<c>emu boot --cpu interp|jit</c>).</summary>
public enum CpuTier
{
    /// <summary>The interpreter alone: the reference.</summary>
    Interpreter,

    /// <summary>Hot guest blocks compiled to .NET code, the interpreter for everything else (docs/translating-cpu.md).</summary>
    Translator,
}
