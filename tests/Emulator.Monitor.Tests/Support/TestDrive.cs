using Emulator.Block.Backend;

namespace Emulator.Monitor.Tests.Support;

/// <summary>A device on a backend: a CD drive (tray, lock) or a hard disk, that records its completions.</summary>
internal sealed class TestDrive(BlockDevCapabilities capabilities) : IBlockDevOps, IBlockCompletionHandler
{
    public BlockDevCapabilities Capabilities { get; } = capabilities;

    public bool TrayOpen { get; set; }

    public bool Locked { get; set; }

    public int Completed { get; private set; }

    public bool IsTrayOpen => TrayOpen;

    public bool IsMediumLocked => Locked;

    public static TestDrive Cd() => new(BlockDevCapabilities.ChangeMedia | BlockDevCapabilities.EjectRequest | BlockDevCapabilities.Tray | BlockDevCapabilities.MediumLock);

    public static TestDrive Disk() => new(BlockDevCapabilities.Resize);

    public string? ChangeMedia(bool load)
    {
        if (Capabilities.HasFlag(BlockDevCapabilities.Tray))
        {
            TrayOpen = !load;
        }

        return null;
    }

    public void OnBlockRequestCompleted(BlockRequest request) => Completed++;
}
