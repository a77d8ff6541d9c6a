namespace Emulator.Firmware.Services;

/// <summary>
/// INT 13h. No disk controller model exists yet (the IDE and floppy issues add them), so every
/// drive answers as absent: CF set with AH=01h (invalid parameter, SeaBIOS's answer for an unknown
/// drive), except AH=15h (disk type), which reports "no such drive" with CF clear.
/// </summary>
internal sealed class DiskService
{
    private const byte InvalidParameter = 0x01;
    private const byte GetDiskType = 0x15;
    private const byte NoDrive = 0x00;

    public BiosServiceResult Handle(BiosCall call)
    {
        if (call.AH == GetDiskType)
        {
            call.AH = NoDrive;
            call.Ok();
        }
        else
        {
            call.Fail(InvalidParameter);
        }

        return BiosServiceResult.Done;
    }
}
