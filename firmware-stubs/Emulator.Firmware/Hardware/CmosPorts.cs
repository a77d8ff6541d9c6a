using Emulator.Machine.Bus;

namespace Emulator.Firmware.Hardware;

/// <summary>The MC146818 CMOS/RTC as firmware reads it: index at port 70h (NMI kept disabled), data at 71h.</summary>
internal sealed class CmosPorts(IoPortBus ports)
{
    public const ushort IndexPort = 0x70;
    public const ushort DataPort = 0x71;
    public const byte NmiDisable = 0x80;
    public const byte Seconds = 0x00;
    public const byte Minutes = 0x02;
    public const byte Hours = 0x04;
    public const byte DayOfMonth = 0x07;
    public const byte Month = 0x08;
    public const byte Year = 0x09;
    public const byte StatusA = 0x0A;
    public const byte StatusB = 0x0B;
    public const byte FloppyTypes = 0x10;
    public const byte ExtendedMemoryLow = 0x30;
    public const byte ExtendedMemoryHigh = 0x31;
    public const byte Century = 0x32;
    public const byte MemoryAbove16MLow = 0x34;
    public const byte MemoryAbove16MHigh = 0x35;
    public const byte BootOrderSecond = 0x38;

    /// <summary>Bit 0 of <see cref="BootOrderSecond"/>: boot a floppy without checking its signature.</summary>
    public const byte FloppySignatureUnchecked = 0x01;
    public const byte BootOrderFirst = 0x3D;

    /// <summary>The CHS translation of IDE drives 0-3, two bits each from bit 0 (QEMU's pc_cmos_init_late).</summary>
    internal const byte DiskTranslation = 0x39;
    internal const int DiskTranslationBits = 2;
    internal const byte DiskTranslationMask = 0x03;
    public const byte UpdateInProgress = 0x80;

    public byte Read(byte index)
    {
        ports.WriteByte(IndexPort, (byte)(index | NmiDisable));
        return ports.ReadByte(DataPort);
    }

    public void Write(byte index, byte value)
    {
        ports.WriteByte(IndexPort, (byte)(index | NmiDisable));
        ports.WriteByte(DataPort, value);
    }

    /// <summary>Reads a time register once no update is in progress, so the value is consistent.</summary>
    public byte ReadTime(byte index)
    {
        for (var spins = 0; spins < 1000 && (Read(StatusA) & UpdateInProgress) != 0; spins++)
        {
        }

        return Read(index);
    }
}
