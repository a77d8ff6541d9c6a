namespace Emulator.Firmware.Disks;

/// <summary>The 82077AA/82078 floppy controller's registers at 3F0h and its command bytes, as a BIOS uses them.</summary>
internal static class FdcPorts
{
    public const ushort DigitalOutput = 0x3F2;
    public const ushort MainStatus = 0x3F4;
    public const ushort Data = 0x3F5;
    public const ushort DigitalInput = 0x3F7;
    public const ushort ConfigControl = 0x3F7;

    /// <summary>DOR: not-reset, DMA/IRQ gate, motor A is bit 4 (B bit 5).</summary>
    public const byte DorNotReset = 0x04;
    public const byte DorDmaGate = 0x08;
    public const byte DorMotorA = 0x10;

    /// <summary>MSR: request for master, data direction (to the CPU), command busy.</summary>
    public const byte MsrRqm = 0x80;
    public const byte MsrDio = 0x40;
    public const byte MsrBusy = 0x10;

    /// <summary>DIR bit 7: the disk change line of the selected drive.</summary>
    public const byte DirDiskChange = 0x80;

    public const byte Specify = 0x03;
    public const byte Recalibrate = 0x07;
    public const byte SenseInterrupt = 0x08;
    public const byte Seek = 0x0F;

    /// <summary>READ ID with MFM.</summary>
    public const byte ReadId = 0x4A;

    /// <summary>READ DATA with MT, MFM and SK.</summary>
    public const byte ReadData = 0xE6;

    /// <summary>WRITE DATA with MT and MFM.</summary>
    public const byte WriteData = 0xC5;

    /// <summary>FORMAT TRACK with MFM.</summary>
    public const byte FormatTrack = 0x4D;

    /// <summary>SPECIFY: step rate 10 (=6 ms at 500 kbit/s), head unload 15; head load 1, DMA mode.</summary>
    public const byte SpecifyStepUnload = 0xAF;
    public const byte SpecifyLoadDma = 0x02;

    public const byte SectorSize512 = 2;
    public const byte Gap3ReadWrite = 0x1B;
    public const byte Gap3Format = 0x6C;
    public const byte DataLength = 0xFF;
    public const byte FormatFill = 0xF6;

    /// <summary>ST0 interrupt code (bits 7-6) and ST1/ST2 error bits.</summary>
    public const byte St0InterruptCode = 0xC0;
    public const byte St0NotReady = 0x08;
    public const byte St1EndOfCylinder = 0x80;
    public const byte St1DataError = 0x20;
    public const byte St1Overrun = 0x10;
    public const byte St1NoData = 0x04;
    public const byte St1NotWritable = 0x02;
    public const byte St1MissingAddressMark = 0x01;
}
