namespace Emulator.Machine.Platform;

/// <summary>Well-known fw_cfg selector keys (QEMU docs/specs/fw_cfg.rst, "Selector Register").</summary>
public enum FwCfgKey : ushort
{
    Signature = 0x0000,
    Id = 0x0001,
    Uuid = 0x0002,
    RamSize = 0x0003,
    NoGraphic = 0x0004,
    CpuCount = 0x0005,
    BootMenu = 0x000E,
    MaxCpus = 0x000F,
    FileDirectory = 0x0019,
    FirstFile = 0x0020,
}
