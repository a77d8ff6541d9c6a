namespace Emulator.Machine.Cpu;

/// <summary>CR0 bits (Intel SDM vol. 3, 2.5).</summary>
internal static class ControlRegisters
{
    public const uint ProtectionEnable = 1 << 0;
    public const uint MonitorCoprocessor = 1 << 1;
    public const uint Emulation = 1 << 2;
    public const uint TaskSwitched = 1 << 3;
    public const uint ExtensionType = 1 << 4;
    public const uint Paging = 1u << 31;

    /// <summary>The machine status word: the low 16 bits that SMSW/LMSW see.</summary>
    public const uint MachineStatusWord = 0xFFFF;

    /// <summary>LMSW can set PE but never clear it, and touches only PE, MP, EM and TS.</summary>
    public const uint LmswBits = ProtectionEnable | MonitorCoprocessor | Emulation | TaskSwitched;
}
