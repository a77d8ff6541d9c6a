namespace Emulator.Firmware.Disks;

/// <summary>ATA task-file offsets, status bits and commands (ATA/ATAPI-6) as the BIOS uses them.</summary>
internal static class AtaRegisters
{
    public const ushort PrimaryBase = 0x1F0;
    public const ushort PrimaryControl = 0x3F6;
    public const ushort SecondaryBase = 0x170;
    public const ushort SecondaryControl = 0x376;

    public const int Data = 0;
    public const int Error = 1;
    public const int Features = 1;
    public const int SectorCount = 2;
    public const int LbaLow = 3;
    public const int LbaMid = 4;
    public const int LbaHigh = 5;
    public const int Device = 6;
    public const int Status = 7;
    public const int Command = 7;

    public const byte StatusBusy = 0x80;
    public const byte StatusReady = 0x40;
    public const byte StatusFault = 0x20;
    public const byte StatusDrq = 0x08;
    public const byte StatusError = 0x01;

    /// <summary>Device register: LBA mode, obsolete bits 7 and 5 set, device 1 in bit 4.</summary>
    public const byte DeviceLba = 0x40;
    public const byte DeviceObsolete = 0xA0;
    public const byte DeviceSlave = 0x10;

    /// <summary>Device control: software reset; nIEN (interrupts off) is bit 1.</summary>
    public const byte ControlReset = 0x04;
    public const byte ControlNoInterrupt = 0x02;

    public const byte ErrorAbort = 0x04;
    public const byte ErrorIdNotFound = 0x10;
    public const byte ErrorUncorrectable = 0x40;

    public const byte IdentifyDevice = 0xEC;
    public const byte IdentifyPacketDevice = 0xA1;
    public const byte ReadSectors = 0x20;
    public const byte ReadSectorsExt = 0x24;
    public const byte WriteSectors = 0x30;
    public const byte WriteSectorsExt = 0x34;
    public const byte ReadVerify = 0x40;
    public const byte ReadVerifyExt = 0x42;
    public const byte Packet = 0xA0;

    /// <summary>The signature an ATAPI device leaves in LBA mid/high after reset or an aborted IDENTIFY DEVICE.</summary>
    public const byte AtapiSignatureMid = 0x14;
    public const byte AtapiSignatureHigh = 0xEB;
}
