using Emulator.Firmware.Disks;
using Emulator.Firmware.Hardware;
using Emulator.Firmware.Rom;
using Emulator.Machine.Cpu;

namespace Emulator.Firmware.Services;

/// <summary>
/// INT 13h over the drives POST found (<see cref="DiskSystem"/>): reset, status, CHS read/write/verify,
/// format (floppy), parameters, disk type, change line, the EDD 3.0 extensions (41h-48h) and El Torito
/// status (4Bh). Status codes go in AH with CF, and into the BDA for AH=01h, as the BIOS specification
/// has them; CHS checks follow SeaBIOS (count 1-128, sector from 1, inside the logical geometry).
/// </summary>
internal sealed class DiskService(FirmwareContext context, DiskSystem disks)
{
    private const byte ChangeLineSupported = 0x02;
    private const byte FixedDisk = 0x03;
    private const byte NoDrive = 0x00;
    private const ushort ExtensionsQuery = 0x55AA;
    private const ushort ExtensionsAnswer = 0xAA55;
    private const byte Edd30 = 0x30;
    private const ushort ExtensionsFixedAccessLockingEdd = 0x0007;
    private const int MaxChsSectors = 128;

    private readonly ServiceSequence _sequence = new();
    private readonly DiskRequest _request = new();

    public BiosServiceResult Handle(BiosCall call) => _sequence.Run(() => Dispatch(call));

    public void Abandon() => _sequence.Abandon();

    private IEnumerable<BiosServiceResult> Dispatch(BiosCall call)
    {
        var drive = call.DL;
        var function = call.AH;
        var disk = disks.Find(drive);
        if (function == 0x15)
        {
            DiskType(call, disk);
            yield break;
        }

        if (function == 0x01)
        {
            var last = context.Memory.ReadByte(drive < DiskSystem.FirstHardDisk ? Bda.FloppyLastStatus : Bda.HardDiskLastStatus);
            call.AH = last;
            call.Carry = last != 0;
            yield break;
        }

        if (disk is null)
        {
            Finish(call, DiskStatus.InvalidParameter);
            yield break;
        }

        IEnumerable<BiosServiceResult> work = function switch
        {
            0x00 or 0x0D => Reset(disk),
            0x02 => Chs(call, disk, DiskCommand.Read),
            0x03 => Chs(call, disk, DiskCommand.Write),
            0x04 => Chs(call, disk, DiskCommand.Verify),
            0x05 when disk is FloppyDisk floppy => Format(call, floppy),
            0x08 => Parameters(call, disk),
            0x0C or 0x11 or 0x47 => Prepared(disk),
            0x10 => Prepared(disk),
            0x16 => ChangeLine(disk),
            0x17 or 0x18 => Prepared(disk),
            0x41 => Extensions(call),
            0x42 => Extended(call, disk, DiskCommand.Read),
            0x43 => Extended(call, disk, DiskCommand.Write),
            0x44 => Extended(call, disk, DiskCommand.Verify),
            0x48 => ExtendedParameters(call, disk),
            0x4B => ElToritoStatus(call),
            _ => Immediate(DiskStatus.InvalidParameter),
        };
        foreach (var wait in work)
        {
            yield return wait;
        }

        if (function != 0x41)
        {
            Finish(call, _request.Status);
        }
    }

    private IEnumerable<BiosServiceResult> Immediate(DiskStatus status)
    {
        _request.Status = status;
        yield break;
    }

    private void Finish(BiosCall call, DiskStatus status)
    {
        var drive = call.DL;
        context.Memory.WriteByte(drive < DiskSystem.FirstHardDisk ? Bda.FloppyLastStatus : Bda.HardDiskLastStatus, (byte)status);
        call.AH = (byte)status;
        call.Carry = status != DiskStatus.Success;
    }

    private IEnumerable<BiosServiceResult> Reset(BiosDisk disk)
    {
        _request.Reset(DiskCommand.Verify, 0, 0, 0);
        return disk.Reset(_request);
    }

    private IEnumerable<BiosServiceResult> Prepared(BiosDisk disk)
    {
        _request.Reset(DiskCommand.Verify, 0, 0, 0);
        return disk.Prepare(_request);
    }

    /// <summary>AH=02h/03h/04h: AL sectors from CH/CL (cylinder bits 8-9 in CL 7-6, sector in CL 5-0), DH head, to ES:BX.</summary>
    private IEnumerable<BiosServiceResult> Chs(BiosCall call, BiosDisk disk, DiskCommand command)
    {
        var count = call.AL;
        var sector = call.CL & 0x3F;
        var cylinder = call.CH | ((call.CL & 0xC0) << 2);
        var head = call.DH;
        var address = Linear(call, SegmentRegister.ES, call.BX);
        if (disk.Kind == DiskKind.CdRom || count == 0 || count > MaxChsSectors || sector == 0)
        {
            _request.Status = DiskStatus.InvalidParameter;
            call.AL = 0;
            yield break;
        }

        _request.Reset(command, 0, 0, address);
        foreach (var wait in disk.Prepare(_request))
        {
            yield return wait;
        }

        if (_request.Status != DiskStatus.Success)
        {
            call.AL = 0;
            yield break;
        }

        if (disk.Geometry.ToLba(cylinder, head, sector) is not { } lba)
        {
            _request.Status = disk.Kind == DiskKind.Floppy ? DiskStatus.SectorNotFound : DiskStatus.InvalidParameter;
            call.AL = 0;
            yield break;
        }

        _request.Reset(command, lba, count, address);
        foreach (var wait in disk.Transfer(_request))
        {
            yield return wait;
        }

        call.AL = (byte)_request.Done;
    }

    /// <summary>AH=05h: format the track CH, head DH, with the C/H/R/N list at ES:BX.</summary>
    private IEnumerable<BiosServiceResult> Format(BiosCall call, FloppyDisk floppy)
    {
        _request.Reset(DiskCommand.Write, 0, 0, 0);
        foreach (var wait in floppy.Prepare(_request))
        {
            yield return wait;
        }

        foreach (var wait in floppy.FormatTrack(_request, call.CH, call.DH, Linear(call, SegmentRegister.ES, call.BX)))
        {
            yield return wait;
        }
    }

    /// <summary>AH=08h: the geometry (maximum cylinder, head and sector), the drive count, and for floppies the type and parameter table.</summary>
    private IEnumerable<BiosServiceResult> Parameters(BiosCall call, BiosDisk disk)
    {
        _request.Status = DiskStatus.Success;
        if (disk.Kind == DiskKind.CdRom)
        {
            _request.Status = DiskStatus.InvalidParameter;
            yield break;
        }

        var geometry = disk.ReportedGeometry;
        var lastCylinder = geometry.Cylinders - 1;
        byte count;
        if (disk.Kind == DiskKind.Floppy)
        {
            count = (byte)disks.Floppies.Count;
            call.BL = disk switch
            {
                FloppyDisk floppy => (byte)floppy.CmosType,
                EmulatedFloppy emulated => (byte)(emulated.MediaType switch { 1 => 2, 3 => 5, _ => 4 }),
                _ => 4,
            };
            call.BH = 0;
            call.Registers.ES = BiosLayout.Segment;
            call.Registers.DI = BiosLayout.DisketteParameterTable;
        }
        else
        {
            count = (byte)disks.HardDisks.Count;

            // As SeaBIOS: the last cylinder is kept back (for diagnostics), and at most 1024 are reported.
            lastCylinder = Math.Max(0, lastCylinder - 1);
        }

        lastCylinder = Math.Min(lastCylinder, 1023);
        call.AL = 0;
        call.CH = (byte)lastCylinder;
        call.CL = (byte)(((lastCylinder >> 2) & 0xC0) | (geometry.SectorsPerTrack & 0x3F));
        call.DH = (byte)(geometry.Heads - 1);
        call.DL = count;
    }

    /// <summary>AH=15h: no drive (AH=0), floppy with change line (AH=2), or fixed disk with its sector count in CX:DX (AH=3).</summary>
    private void DiskType(BiosCall call, BiosDisk? disk)
    {
        switch (disk?.Kind)
        {
            case DiskKind.Floppy:
                call.AH = ChangeLineSupported;
                break;
            case DiskKind.HardDisk:
                var sectors = (uint)Math.Min(disk.Sectors, uint.MaxValue);
                call.AH = FixedDisk;
                call.CX = (ushort)(sectors >> 16);
                call.DX = (ushort)sectors;
                break;
            default:
                call.AH = NoDrive;
                break;
        }

        call.Ok();
    }

    /// <summary>AH=16h: 06h with CF when the disk change line is active, 00h otherwise.</summary>
    private IEnumerable<BiosServiceResult> ChangeLine(BiosDisk disk)
    {
        _request.Status = disk switch
        {
            FloppyDisk floppy when floppy.ChangeLine() => DiskStatus.MediaChanged,
            FloppyDisk or EmulatedFloppy => DiskStatus.Success,
            _ => DiskStatus.InvalidParameter,
        };
        yield break;
    }

    /// <summary>AH=41h: the EDD extensions are there (version 3.0; fixed-disk access, locking and EDD subsets).</summary>
    private IEnumerable<BiosServiceResult> Extensions(BiosCall call)
    {
        if (call.BX != ExtensionsQuery)
        {
            Finish(call, DiskStatus.InvalidParameter);
            yield break;
        }

        call.BX = ExtensionsAnswer;
        call.AH = Edd30;
        call.CX = ExtensionsFixedAccessLockingEdd;
        call.Ok();
    }

    /// <summary>AH=42h/43h/44h: the disk address packet at DS:SI (count, buffer, 64-bit LBA; a flat 64-bit buffer address when the segment:offset is FFFF:FFFF).</summary>
    private IEnumerable<BiosServiceResult> Extended(BiosCall call, BiosDisk disk, DiskCommand command)
    {
        var memory = context.Memory;
        var packet = Linear(call, SegmentRegister.DS, call.Registers.SI);
        var size = memory.ReadByte(packet);
        var count = memory.ReadWord(packet + 2);
        var offset = memory.ReadWord(packet + 4);
        var segment = memory.ReadWord(packet + 6);
        var lba = memory.ReadDword(packet + 8) | ((ulong)memory.ReadDword(packet + 12) << 32);
        var address = (uint)((segment << 4) + offset);
        if (offset == 0xFFFF && segment == 0xFFFF && size >= 0x18)
        {
            var flat = memory.ReadDword(packet + 0x10) | ((ulong)memory.ReadDword(packet + 0x14) << 32);
            address = flat <= uint.MaxValue ? (uint)flat : uint.MaxValue;
        }

        memory.WriteWord(packet + 2, 0);
        if (size < 0x10)
        {
            _request.Status = DiskStatus.InvalidParameter;
            yield break;
        }

        _request.Reset(command, 0, 0, address);
        foreach (var wait in disk.Prepare(_request))
        {
            yield return wait;
        }

        if (_request.Status != DiskStatus.Success)
        {
            yield break;
        }

        if (lba >= disk.Sectors || (ulong)count > disk.Sectors - lba)
        {
            _request.Status = DiskStatus.InvalidParameter;
            yield break;
        }

        _request.Reset(command, lba, count, address);
        foreach (var wait in disk.Transfer(_request))
        {
            yield return wait;
        }

        memory.WriteWord(packet + 2, (ushort)_request.Done);
    }

    /// <summary>AH=48h: the drive parameter table at DS:SI, up to the EDD 3.0 device path, as much as its size word allows.</summary>
    private IEnumerable<BiosServiceResult> ExtendedParameters(BiosCall call, BiosDisk disk)
    {
        _request.Reset(DiskCommand.Verify, 0, 0, 0);
        foreach (var wait in disk.Prepare(_request))
        {
            yield return wait;
        }

        var table = Linear(call, SegmentRegister.DS, call.Registers.SI);
        if (!EddTable.Write(context.Memory, table, disk))
        {
            _request.Status = DiskStatus.InvalidParameter;
            yield break;
        }

        _request.Status = DiskStatus.Success;
    }

    /// <summary>AH=4Bh: AL=00h terminate emulation / AL=01h status — the 13h-byte specification packet at DS:SI.</summary>
    private IEnumerable<BiosServiceResult> ElToritoStatus(BiosCall call)
    {
        var emulation = disks.Emulation;
        var cd = emulation?.Cd ?? disks.NoEmulationCd;
        if (call.AL > 1 || cd is null)
        {
            _request.Status = DiskStatus.InvalidParameter;
            yield break;
        }

        var packet = Linear(call, SegmentRegister.DS, call.Registers.SI);
        var memory = context.Memory;
        memory.Write(packet, new byte[0x13]);
        memory.WriteByte(packet, 0x13);
        memory.WriteByte(packet + 1, emulation?.MediaType ?? 0);
        memory.WriteByte(packet + 2, emulation is null ? (byte)(DiskSystem.FirstCdRom + disks.CdRoms.ToList().IndexOf(cd)) : (byte)0);
        memory.WriteByte(packet + 3, (byte)(cd.Channel.CommandBase == AtaRegisters.PrimaryBase ? 0 : 1));
        memory.WriteDword(packet + 4, emulation?.ImageBlock ?? 0);
        memory.WriteWord(packet + 8, (ushort)cd.Unit);
        if (call.AL == 0 && emulation is not null)
        {
            disks.EndEmulation();
        }

        _request.Status = DiskStatus.Success;
    }

    private static uint Linear(BiosCall call, SegmentRegister segment, ushort offset) =>
        call.Registers.GetSegment(segment).Base + offset;
}
