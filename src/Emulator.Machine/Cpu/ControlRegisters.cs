namespace Emulator.Machine.Cpu;

/// <summary>CR0 and CR4 bits (Intel SDM vol. 3, 2.5).</summary>
internal static class ControlRegisters
{
    public const uint ProtectionEnable = 1 << 0;
    public const uint MonitorCoprocessor = 1 << 1;
    public const uint Emulation = 1 << 2;
    public const uint TaskSwitched = 1 << 3;
    public const uint ExtensionType = 1 << 4;

    /// <summary>CR0.NE: x87 errors as #MF rather than through FERR# and IRQ 13.</summary>
    public const uint NumericError = 1 << 5;
    public const uint WriteProtect = 1 << 16;
    public const uint Paging = 1u << 31;

    /// <summary>CR4.TSD: RDTSC only at CPL 0.</summary>
    public const uint TimeStampDisable = 1 << 2;

    /// <summary>CR4.PSE: 4 MiB pages through PDE.PS.</summary>
    public const uint PageSizeExtensions = 1 << 4;

    /// <summary>CR4.PAE: three-level paging with 64-bit entries.</summary>
    public const uint PhysicalAddressExtension = 1 << 5;

    /// <summary>CR4.PGE: global pages survive CR3 loads.</summary>
    public const uint PageGlobalEnable = 1 << 7;

    /// <summary>The CR4 bits this CPU implements; setting any other raises #GP(0).</summary>
    public const uint Cr4Supported = TimeStampDisable | PageSizeExtensions | PhysicalAddressExtension | PageGlobalEnable;

    /// <summary>CR0 bits whose change flushes the whole TLB, global entries included.</summary>
    public const uint Cr0TlbBits = ProtectionEnable | WriteProtect | Paging;

    /// <summary>CR4 bits whose change flushes the whole TLB, global entries included.</summary>
    public const uint Cr4TlbBits = PageSizeExtensions | PhysicalAddressExtension | PageGlobalEnable;

    /// <summary>The machine status word: the low 16 bits that SMSW/LMSW see.</summary>
    public const uint MachineStatusWord = 0xFFFF;

    /// <summary>LMSW can set PE but never clear it, and touches only PE, MP, EM and TS.</summary>
    public const uint LmswBits = ProtectionEnable | MonitorCoprocessor | Emulation | TaskSwitched;
}
