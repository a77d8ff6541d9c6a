using System.Buffers.Binary;
using Emulator.Firmware.Services;
using static Emulator.Firmware.Disks.AtaRegisters;

namespace Emulator.Firmware.Disks;

/// <summary>
/// The BIOS's PIO driver for an ATA hard disk found by IDENTIFY DEVICE (the guest side of what the
/// device model <c>Emulator.Devices.Ide.AtaDisk</c> emulates): READ/WRITE SECTORS (LBA28, or the EXT
/// forms past 2^28 sectors or 256 sectors) and READ VERIFY, one DRQ block per sector, waiting for
/// the device's interrupt between blocks.
/// </summary>
internal sealed class AtaPioDisk : BiosDisk
{
    private const int SectorBytes = 512;
    private const ulong Lba28Limit = 1UL << 28;
    private const int MaxSectorsPerCommand = 256;
    private const int WordCylinders = 1;
    private const int WordHeads = 3;
    private const int WordSectorsPerTrack = 6;
    private const int WordModel = 27;
    private const int ModelWords = 20;
    private const int WordCapabilities = 49;
    private const int WordLba28Sectors = 60;
    private const int WordCommandSets = 83;
    private const int WordLba48Sectors = 100;
    private const ushort CapabilityLba = 1 << 9;
    private const ushort CommandSetLba48 = 1 << 10;

    private readonly AtaChannel _channel;
    private readonly int _unit;
    private readonly bool _lba48;
    private readonly byte[] _sector = new byte[SectorBytes];

    /// <summary>A disk from its IDENTIFY data, with the CHS translation the board asked for in CMOS 39h (SeaBIOS takes it from there for ATA disks).</summary>
    public AtaPioDisk(AtaChannel channel, int unit, ReadOnlySpan<byte> identify, ChsTranslation translation)
    {
        _channel = channel;
        _unit = unit;
        var words = identify.ToArray();
        ushort Word(int index) => BinaryPrimitives.ReadUInt16LittleEndian(words.AsSpan(index * 2));
        var physical = new DiskGeometry(Word(WordCylinders), Word(WordHeads), Word(WordSectorsPerTrack));
        ulong sectors = (uint)(Word(WordLba28Sectors) | (Word(WordLba28Sectors + 1) << 16));
        _lba48 = (Word(WordCommandSets) & CommandSetLba48) != 0;
        if (_lba48)
        {
            var sectors48 = Word(WordLba48Sectors) | ((ulong)Word(WordLba48Sectors + 1) << 16) | ((ulong)Word(WordLba48Sectors + 2) << 32);
            sectors = Math.Max(sectors, sectors48);
        }

        if ((Word(WordCapabilities) & CapabilityLba) == 0 || sectors == 0)
        {
            sectors = (ulong)physical.Sectors;
        }

        Sectors = sectors;
        Geometry = DiskGeometry.Translate(physical, (long)sectors, translation);
        Model = IdentifyString(identify, WordModel, ModelWords);
    }

    public int Unit => _unit;

    public AtaChannel Channel => _channel;

    public string Model { get; }

    public override DiskKind Kind => DiskKind.HardDisk;

    public override ulong Sectors { get; }

    public override DiskGeometry Geometry { get; }

    public override string InterfaceName => "ATA";

    /// <summary>IDENTIFY strings are byte-swapped words, space padded.</summary>
    public static string IdentifyString(ReadOnlySpan<byte> identify, int word, int words)
    {
        var chars = new char[words * 2];
        for (var i = 0; i < words; i++)
        {
            chars[i * 2] = (char)identify[((word + i) * 2) + 1];
            chars[(i * 2) + 1] = (char)identify[(word + i) * 2];
        }

        return new string(chars).Trim();
    }

    public override IEnumerable<BiosServiceResult> Transfer(DiskRequest request)
    {
        var memory = _channel.Context.Memory;
        while (request.Done < request.Count)
        {
            var lba = request.Lba + (ulong)request.Done;
            var count = Math.Min(request.Count - request.Done, MaxSectorsPerCommand);
            var extended = lba + (ulong)count > Lba28Limit;
            if (extended && !_lba48)
            {
                request.Status = DiskStatus.SectorNotFound;
                yield break;
            }

            foreach (var wait in _channel.WaitReady(needDrq: false))
            {
                yield return wait;
            }

            _channel.LoadLba(_unit, lba, count == MaxSectorsPerCommand && !extended ? 0 : count, extended);
            _channel.Issue(request.Command switch
            {
                DiskCommand.Write => extended ? WriteSectorsExt : WriteSectors,
                DiskCommand.Verify => extended ? ReadVerifyExt : ReadVerify,
                _ => extended ? ReadSectorsExt : ReadSectors,
            });

            if (request.Command == DiskCommand.Verify)
            {
                foreach (var wait in _channel.WaitReady(needDrq: false))
                {
                    yield return wait;
                }

                if (Failed(request))
                {
                    yield break;
                }

                request.Done += count;
                continue;
            }

            for (var i = 0; i < count; i++)
            {
                foreach (var wait in _channel.WaitReady(needDrq: true))
                {
                    yield return wait;
                }

                if (Failed(request) || (_channel.LastStatus & StatusDrq) == 0)
                {
                    if (request.Status == DiskStatus.Success)
                    {
                        request.Status = DiskStatus.ControllerFailure;
                    }

                    yield break;
                }

                var address = request.Address + (uint)(request.Done * SectorBytes);
                if (request.Command == DiskCommand.Write)
                {
                    memory.Read(address, _sector);
                    _channel.WriteData(_sector);
                }
                else
                {
                    _channel.ReadData(_sector);
                    memory.Write(address, _sector);
                    request.Done++;
                }

                if (request.Command == DiskCommand.Write)
                {
                    // The write completes (BSY clear, DRQ for the next block or done) before it counts.
                    foreach (var wait in _channel.WaitReady(needDrq: false))
                    {
                        yield return wait;
                    }

                    if (Failed(request))
                    {
                        yield break;
                    }

                    request.Done++;
                }
            }
        }

        request.Status = DiskStatus.Success;
    }

    private bool Failed(DiskRequest request)
    {
        if (_channel.TimedOut)
        {
            request.Status = DiskStatus.Timeout;
            return true;
        }

        if ((_channel.LastStatus & (StatusError | StatusFault)) == 0)
        {
            return false;
        }

        var error = _channel.ErrorRegister;
        request.Status = (error & ErrorIdNotFound) != 0 ? DiskStatus.SectorNotFound
            : (error & ErrorUncorrectable) != 0 ? DiskStatus.UncorrectableData
            : (_channel.LastStatus & StatusFault) != 0 ? DiskStatus.WriteFault
            : DiskStatus.ControllerFailure;
        return true;
    }
}
