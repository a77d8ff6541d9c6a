namespace Emulator.Firmware.Disks;

/// <summary>
/// One transfer a drive driver carries out for INT 13h: <see cref="Count"/> sectors of the drive's own
/// size from <see cref="Lba"/>, to or from the guest-physical <see cref="Address"/>. The driver counts
/// what it finished in <see cref="Done"/> and leaves the outcome in <see cref="Status"/>.
/// </summary>
internal sealed class DiskRequest
{
    public DiskCommand Command { get; set; }

    public ulong Lba { get; set; }

    public int Count { get; set; }

    public uint Address { get; set; }

    public int Done { get; set; }

    public DiskStatus Status { get; set; }

    public void Reset(DiskCommand command, ulong lba, int count, uint address)
    {
        Command = command;
        Lba = lba;
        Count = count;
        Address = address;
        Done = 0;
        Status = DiskStatus.Success;
    }
}
