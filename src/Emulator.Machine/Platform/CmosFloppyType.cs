namespace Emulator.Machine.Platform;

/// <summary>Drive type nibbles of CMOS byte 0x10 (AT Technical Reference, "Diskette Drive Type Byte").</summary>
public enum CmosFloppyType : byte
{
    /// <summary>No drive.</summary>
    None = 0,
    /// <summary>5.25-inch 360 KB drive.</summary>
    Drive360K = 1,
    /// <summary>5.25-inch 1.2 MB drive.</summary>
    Drive1200K = 2,
    /// <summary>3.5-inch 720 KB drive.</summary>
    Drive720K = 3,
    /// <summary>3.5-inch 1.44 MB drive.</summary>
    Drive1440K = 4,
    /// <summary>3.5-inch 2.88 MB drive.</summary>
    Drive2880K = 5,
}
