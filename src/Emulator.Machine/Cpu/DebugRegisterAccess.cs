namespace Emulator.Machine.Cpu;

/// <summary>
/// MOV to and from DR0–DR7: privileged (#GP(0) at CPL &gt; 0 in protected mode), DR4 and DR5 alias DR6
/// and DR7 because CR4.DE is not implemented, and the register operand is always 32 bits.
/// </summary>
internal static class DebugRegisterAccess
{
    private const int Dr4 = 4;
    private const int Dr5 = 5;
    private const int AliasDistance = 2;

    public static bool MoveTo(ExecutionCore core, ref DecodedInstruction d)
    {
        if (!core.RequireCpl0())
        {
            return false;
        }

        core.R.Debug.Write(Architectural(d.Aux), core.Reg(d.Reg1));
        return true;
    }

    public static bool MoveFrom(ExecutionCore core, ref DecodedInstruction d)
    {
        if (!core.RequireCpl0())
        {
            return false;
        }

        core.Reg(d.Reg0) = core.R.Debug.Read(Architectural(d.Aux));
        return true;
    }

    private static int Architectural(int index) => index is Dr4 or Dr5 ? index + AliasDistance : index;
}
