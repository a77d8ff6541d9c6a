namespace Emulator.Machine.Platform;

/// <summary>Drive type nibbles of CMOS byte 0x10 (AT Technical Reference, "Diskette Drive Type Byte").</summary>
public enum CmosFloppyType : byte
{
    None = 0,
    Drive360K = 1,
    Drive1200K = 2,
    Drive720K = 3,
    Drive1440K = 4,
    Drive2880K = 5,
}
