namespace Emulator.Devices.Ide;

/// <summary>
/// The ATA command set, one entry per opcode (QEMU's ide_cmd_table; ATA/ATAPI-6 chapter 8). Opcodes
/// without an entry, or sent to a drive kind the entry does not list, abort with ABRT.
/// Limitations: no SMART, CFA, security (other than FREEZE LOCK as a no-op), READ/WRITE BUFFER,
/// queued or FUA commands — all abort, as in QEMU's ide-hd.
/// </summary>
internal static class AtaCommandTable
{
    private const int OpcodeCount = 256;

    private static readonly AtaCommandEntry[] Table = Build();

    public static AtaCommandEntry Lookup(byte opcode) => Table[opcode];

    private static AtaCommandEntry[] Build()
    {
        var t = new AtaCommandEntry[OpcodeCount];
        void Add(AtaCommand op, IdeDriveKind kinds, Func<IdeDrive, byte, bool> handler, bool dsc = false) => t[(int)op] = new(handler, kinds, dsc);

        const IdeDriveKind Hd = IdeDriveKind.HardDisk;
        const IdeDriveKind Cd = IdeDriveKind.Cdrom;
        const IdeDriveKind All = IdeDriveKind.All;

        // NOP exists so that it fails the way ATA/ATAPI-6 section 8.22 says: always command aborted.
        Add(AtaCommand.Nop, All, static (d, _) => Abort(d));
        Add(AtaCommand.DataSetManagement, Hd, static (d, _) => Disk(d).DataSetManagement());
        Add(AtaCommand.DeviceReset, Cd, static (d, _) => Cdrom(d).DeviceReset());
        Add(AtaCommand.Recalibrate, Hd, static (_, _) => true, dsc: true);
        Add(AtaCommand.ReadSectors, All, static (d, c) => d is AtaDisk disk ? disk.ReadPio(c) : AbortWithSignature(d));
        Add(AtaCommand.ReadSectorsNoRetry, Hd, static (d, c) => Disk(d).ReadPio(c));
        Add(AtaCommand.ReadSectorsExt, Hd, static (d, c) => Disk(d).ReadPio(c));
        Add(AtaCommand.ReadMultiple, Hd, static (d, c) => Disk(d).ReadPio(c));
        Add(AtaCommand.ReadMultipleExt, Hd, static (d, c) => Disk(d).ReadPio(c));
        Add(AtaCommand.WriteSectors, Hd, static (d, c) => Disk(d).WritePio(c));
        Add(AtaCommand.WriteSectorsNoRetry, Hd, static (d, c) => Disk(d).WritePio(c));
        Add(AtaCommand.WriteSectorsExt, Hd, static (d, c) => Disk(d).WritePio(c));
        Add(AtaCommand.WriteVerify, Hd, static (d, c) => Disk(d).WritePio(c));
        Add(AtaCommand.WriteMultiple, Hd, static (d, c) => Disk(d).WritePio(c));
        Add(AtaCommand.WriteMultipleExt, Hd, static (d, c) => Disk(d).WritePio(c));
        Add(AtaCommand.ReadDma, Hd, static (d, c) => Disk(d).StartDmaCommand(c));
        Add(AtaCommand.ReadDmaNoRetry, Hd, static (d, c) => Disk(d).StartDmaCommand(c));
        Add(AtaCommand.ReadDmaExt, Hd, static (d, c) => Disk(d).StartDmaCommand(c));
        Add(AtaCommand.WriteDma, Hd, static (d, c) => Disk(d).StartDmaCommand(c));
        Add(AtaCommand.WriteDmaNoRetry, Hd, static (d, c) => Disk(d).StartDmaCommand(c));
        Add(AtaCommand.WriteDmaExt, Hd, static (d, c) => Disk(d).StartDmaCommand(c));
        Add(AtaCommand.ReadVerifySectors, Hd, static (d, _) => Verify(d, lba48: false), dsc: true);
        Add(AtaCommand.ReadVerifySectorsNoRetry, Hd, static (d, _) => Verify(d, lba48: false), dsc: true);
        Add(AtaCommand.ReadVerifySectorsExt, Hd, static (d, _) => Verify(d, lba48: true), dsc: true);
        Add(AtaCommand.ReadNativeMaxAddress, Hd, static (d, _) => Disk(d).ReadNativeMax(lba48: false), dsc: true);
        Add(AtaCommand.ReadNativeMaxAddressExt, Hd, static (d, _) => Disk(d).ReadNativeMax(lba48: true), dsc: true);
        Add(AtaCommand.Seek, Hd, static (_, _) => true, dsc: true);
        Add(AtaCommand.ExecuteDeviceDiagnostic, All, static (d, _) => ExecuteDiagnostic(d));
        Add(AtaCommand.InitializeDeviceParameters, Hd, static (d, _) => Disk(d).InitializeDeviceParameters(), dsc: true);
        Add(AtaCommand.SetMultipleMode, Hd, static (d, _) => Disk(d).SetMultipleMode(), dsc: true);
        Add(AtaCommand.Packet, Cd, static (d, _) => Cdrom(d).Packet());
        Add(AtaCommand.IdentifyPacketDevice, Cd, static (d, _) => Cdrom(d).IdentifyPacket());
        Add(AtaCommand.IdentifyDevice, All, static (d, _) => d is AtaDisk disk ? disk.Identify() : AbortWithSignature(d));
        Add(AtaCommand.FlushCache, All, static (d, _) => Flush(d));
        Add(AtaCommand.FlushCacheExt, Hd, static (d, _) => Flush(d));
        Add(AtaCommand.SetFeatures, All, static (d, _) => SetFeatures(d), dsc: true);
        Add(AtaCommand.CheckPowerMode, Hd, static (d, _) => CheckPowerMode(d), dsc: true);
        Add(AtaCommand.CheckPowerModeOld, Hd, static (d, _) => CheckPowerMode(d), dsc: true);
        Add(AtaCommand.SecurityFreezeLock, Hd, static (_, _) => true);

        // Power management: the drive is always active and spun up, so these complete with nothing to do.
        foreach (var op in new[]
                 {
                     AtaCommand.StandbyImmediate, AtaCommand.IdleImmediate, AtaCommand.Standby, AtaCommand.Idle, AtaCommand.Sleep,
                     AtaCommand.StandbyImmediateOld, AtaCommand.IdleImmediateOld, AtaCommand.StandbyOld, AtaCommand.IdleOld, AtaCommand.SleepOld,
                 })
        {
            Add(op, Hd, static (_, _) => true);
        }

        return t;
    }

    private static AtaDisk Disk(IdeDrive drive) => (AtaDisk)drive;

    private static AtapiCdrom Cdrom(IdeDrive drive) => (AtapiCdrom)drive;

    private static bool Abort(IdeDrive drive)
    {
        drive.AbortCommand();
        return true;
    }

    /// <summary>IDENTIFY DEVICE and READ SECTORS to a packet device abort and load the signature, so drivers find the ATAPI device (ATA/ATAPI-6, 8.15.5.2).</summary>
    private static bool AbortWithSignature(IdeDrive drive)
    {
        drive.SetSignature();
        return Abort(drive);
    }

    /// <summary>READ VERIFY: no media access and, as in QEMU, no range check.</summary>
    private static bool Verify(IdeDrive drive, bool lba48)
    {
        drive.Lba48Transform(lba48);
        return true;
    }

    /// <summary>EXECUTE DEVICE DIAGNOSTIC: signature, error 01; disks complete with DRDY|DSC and an IRQ, packet devices with status 0 and none.</summary>
    private static bool ExecuteDiagnostic(IdeDrive drive)
    {
        drive.RunDiagnostic();
        drive.Select = (byte)AtaDeviceHead.AlwaysOn;
        return drive.Kind != IdeDriveKind.Cdrom;
    }

    /// <summary>CHECK POWER MODE: sector count 0xFF = active or idle (ATA/ATAPI-6, 8.6).</summary>
    private static bool CheckPowerMode(IdeDrive drive)
    {
        drive.NSector = byte.MaxValue;
        return true;
    }

    private static bool Flush(IdeDrive drive)
    {
        drive.StartFlush();
        return false;
    }

    private static bool SetFeatures(IdeDrive drive) => drive.SetFeatures();
}
