namespace Emulator.Machine.Platform;

/// <summary>Well-known fw_cfg selector keys (QEMU docs/specs/fw_cfg.rst, "Selector Register").</summary>
public enum FwCfgKey : ushort
{
    /// <summary>The four bytes "QEMU".</summary>
    Signature = 0x0000,
    /// <summary>Feature bitmap, 32-bit little-endian (bit 0: traditional I/O interface).</summary>
    Id = 0x0001,
    /// <summary>The machine UUID, 16 bytes.</summary>
    Uuid = 0x0002,
    /// <summary>RAM size in bytes, 64-bit little-endian.</summary>
    RamSize = 0x0003,
    /// <summary>Non-zero when the machine has no graphics (-nographic), 16-bit.</summary>
    NoGraphic = 0x0004,
    /// <summary>Boot CPU count, 16-bit little-endian.</summary>
    CpuCount = 0x0005,
    /// <summary>Non-zero to let the firmware show its boot menu, 16-bit.</summary>
    BootMenu = 0x000E,
    /// <summary>Maximum CPU count, 16-bit little-endian.</summary>
    MaxCpus = 0x000F,
    /// <summary>The file directory: big-endian count, then 64-byte entries.</summary>
    FileDirectory = 0x0019,
    /// <summary>The key of the first file item; files take consecutive keys from here.</summary>
    FirstFile = 0x0020,
}
