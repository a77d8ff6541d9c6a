using Emulator.Firmware.Services;

namespace Emulator.Firmware.Disks;

/// <summary>
/// El Torito floppy emulation: a diskette image inside the CD, starting at a 2048-byte block, served
/// as drive 00h with the geometry of its media type. Reads fetch whole CD blocks and hand out the
/// 512-byte sectors asked for; the image is read-only, as on a pressed CD.
/// </summary>
internal sealed class EmulatedFloppy(AtapiDisk cd, uint imageBlock, DiskGeometry geometry, byte mediaType) : BiosDisk
{
    private const int SectorBytes = 512;
    private const int SectorsPerBlock = AtapiDisk.BlockSize / SectorBytes;
    private const int MaxBlocks = 16;

    public AtapiDisk Cd => cd;

    public uint ImageBlock => imageBlock;

    public byte MediaType => mediaType;

    public override DiskKind Kind => DiskKind.Floppy;

    public override ulong Sectors => (ulong)geometry.Sectors;

    public override DiskGeometry Geometry => geometry;

    public override string InterfaceName => "ATAPI";

    /// <summary>The El Torito media type (1 = 1.2M, 2 = 1.44M, 3 = 2.88M) as a geometry; null for other types.</summary>
    public static DiskGeometry? GeometryFor(byte mediaType) => mediaType switch
    {
        1 => new DiskGeometry(80, 2, 15),
        2 => new DiskGeometry(80, 2, 18),
        3 => new DiskGeometry(80, 2, 36),
        _ => null,
    };

    public override IEnumerable<BiosServiceResult> Transfer(DiskRequest request)
    {
        if (request.Command == DiskCommand.Write)
        {
            request.Status = DiskStatus.WriteProtected;
            yield break;
        }

        var memory = cd.Channel.Context.Memory;
        while (request.Done < request.Count)
        {
            var sector = request.Lba + (ulong)request.Done;
            var first = sector / SectorsPerBlock;
            var skip = (int)(sector % SectorsPerBlock);
            var wanted = Math.Min(request.Count - request.Done, (MaxBlocks * SectorsPerBlock) - skip);
            var blocks = (skip + wanted + SectorsPerBlock - 1) / SectorsPerBlock;
            foreach (var wait in cd.ReadBlocks(imageBlock + first, blocks))
            {
                yield return wait;
            }

            if (!cd.LastOk)
            {
                request.Status = DiskStatus.ControllerFailure;
                yield break;
            }

            if (request.Command == DiskCommand.Read)
            {
                memory.Write(request.Address + (uint)(request.Done * SectorBytes), cd.Data.Slice(skip * SectorBytes, wanted * SectorBytes));
            }

            request.Done += wanted;
        }

        request.Status = DiskStatus.Success;
    }
}
