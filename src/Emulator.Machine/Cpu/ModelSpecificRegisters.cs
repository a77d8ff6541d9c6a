namespace Emulator.Machine.Cpu;

/// <summary>
/// RDMSR/WRMSR (Intel SDM vol. 2B; MSR numbers from vol. 4). CPUID advertises MSR with exactly this
/// set: the time-stamp counter (0x10), tied to the virtual TSC RDTSC reads, and the microcode update
/// signature (0x8B), which Linux's Intel setup and microcode loader read with unchecked RDMSR on
/// every family-6 part. Every other number, IA32_APIC_BASE included (no local APIC is advertised)
/// and the SYSENTER MSRs (no SEP), raises #GP(0), as does either instruction outside ring 0.
/// </summary>
internal sealed class ModelSpecificRegisters(ExecutionCore core)
{
    /// <summary>IA32_TIME_STAMP_COUNTER.</summary>
    public const uint TimeStampCounter = 0x10;

    /// <summary>IA32_BIOS_SIGN_ID: the loaded microcode revision in EDX.</summary>
    public const uint MicrocodeRevision = 0x8B;

    /// <summary>The revision reported in EDX (QEMU reports 1 for Intel CPU models under TCG).</summary>
    private const ulong Revision = 1UL << 32;

    private const uint LowDwordMask = 0xFFFF_FFFF;

    public bool Read()
    {
        if (!core.RequireCpl0())
        {
            return false;
        }

        ulong value;
        switch (core.Reg(CpuRegisters.Ecx))
        {
            case TimeStampCounter:
                value = core.ReadTimeStampCounter();
                break;
            case MicrocodeRevision:
                value = Revision;
                break;
            default:
                return core.RaiseGeneralProtection(0);
        }

        core.Reg(CpuRegisters.Eax) = (uint)value;
        core.Reg(CpuRegisters.Edx) = (uint)(value >> 32);
        return true;
    }

    public bool Write()
    {
        if (!core.RequireCpl0())
        {
            return false;
        }

        switch (core.Reg(CpuRegisters.Ecx))
        {
            case TimeStampCounter:
                // P6-family processors write only the low 32 bits and clear the high ones (SDM vol. 3, 18.17).
                core.WriteTimeStampCounter(core.Reg(CpuRegisters.Eax) & LowDwordMask);
                return true;
            case MicrocodeRevision:
                // Software writes 0 before CPUID to have the revision latched; there is nothing to update.
                return true;
            default:
                return core.RaiseGeneralProtection(0);
        }
    }
}
