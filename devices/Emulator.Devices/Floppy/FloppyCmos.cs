using Emulator.Machine.Platform;

namespace Emulator.Devices.Floppy;

/// <summary>
/// Reports the drive types to the BIOS through CMOS, as QEMU's pc_cmos_init_floppy does: byte 0x10
/// holds drive A in the high nibble and drive B in the low one, the equipment byte (0x14) gets bit 0
/// (diskettes present) and bits 7:6 (count − 1), its other bits are kept; the checksum is redone.
/// </summary>
internal static class FloppyCmos
{
    private const byte EquipmentFloppyBits = 0xC1;
    private const byte EquipmentOneDrive = 0x01;
    private const byte EquipmentTwoDrives = 0x41;
    private const int HighNibbleShift = 4;

    public static void Update(CmosRtc cmos, FloppyDriveType driveA, FloppyDriveType driveB)
    {
        ArgumentNullException.ThrowIfNull(cmos);
        cmos.SetByte((int)CmosOffset.FloppyTypes, (byte)(((byte)ToCmos(driveA) << HighNibbleShift) | (byte)ToCmos(driveB)));
        var count = (driveA != FloppyDriveType.None ? 1 : 0) + (driveB != FloppyDriveType.None ? 1 : 0);
        var equipment = (byte)(cmos.GetByte((int)CmosOffset.Equipment) & ~EquipmentFloppyBits);
        equipment |= count switch
        {
            0 => 0,
            1 => EquipmentOneDrive,
            _ => EquipmentTwoDrives,
        };
        cmos.SetByte((int)CmosOffset.Equipment, equipment);
    }

    public static CmosFloppyType ToCmos(FloppyDriveType type) => type switch
    {
        FloppyDriveType.Drive144 => CmosFloppyType.Drive1440K,
        FloppyDriveType.Drive288 => CmosFloppyType.Drive2880K,
        FloppyDriveType.Drive120 => CmosFloppyType.Drive1200K,
        _ => CmosFloppyType.None,
    };
}
