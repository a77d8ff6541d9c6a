namespace Emulator.Devices.Ide;

/// <summary>
/// A CD address as minute, second and frame (the MSF form of MMC-5 and the Red Book): 75 frames a second, with
/// logical block 0 at 00:02:00, after the 150-frame pregap.
/// </summary>
internal static class CdMsf
{
    private const int Pregap = 150;
    private const int FramesPerSecond = 75;
    private const int SecondsPerMinute = 60;

    /// <summary>Writes the M, S and F bytes of <paramref name="lba"/> into the first three bytes of <paramref name="destination"/>.</summary>
    public static void Write(Span<byte> destination, long lba)
    {
        var frames = lba + Pregap;
        destination[0] = (byte)(frames / (FramesPerSecond * SecondsPerMinute));
        destination[1] = (byte)(frames / FramesPerSecond % SecondsPerMinute);
        destination[2] = (byte)(frames % FramesPerSecond);
    }
}
