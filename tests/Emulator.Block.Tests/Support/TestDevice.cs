using Emulator.Block.Backend;

namespace Emulator.Block.Tests.Support;

/// <summary>
/// A device model for block-layer tests: configurable capabilities, a tray and a lock it moves like
/// a CD drive does, and a completion handler that records what the loop delivered and on which thread.
/// </summary>
internal sealed class TestDevice(BlockDevCapabilities capabilities) : IBlockDevOps, IBlockCompletionHandler
{
    public static TestDevice CdRom() => new(BlockDevCapabilities.ChangeMedia | BlockDevCapabilities.EjectRequest
        | BlockDevCapabilities.Tray | BlockDevCapabilities.MediumLock);

    public static TestDevice Floppy() => new(BlockDevCapabilities.ChangeMedia);

    public static TestDevice HardDisk() => new(BlockDevCapabilities.Resize);

    public BlockDevCapabilities Capabilities { get; } = capabilities;

    public bool TrayOpen { get; set; }

    public bool Locked { get; set; }

    public string? RefuseLoadWith { get; set; }

    public List<(bool Load, bool InsertedAtCall)> MediaChanges { get; } = [];

    public List<bool> EjectRequests { get; } = [];

    public int ResizeCalls { get; private set; }

    public List<(BlockRequest Request, BlockError Error, BlockErrorAction Action, int ThreadId)> Completions { get; } = [];

    public BlockBackend? Backend { get; set; }

    public bool IsTrayOpen => TrayOpen;

    public bool IsMediumLocked => Locked;

    public string? ChangeMedia(bool load)
    {
        MediaChanges.Add((load, Backend?.IsInserted ?? false));
        if (load && RefuseLoadWith is { } refusal)
        {
            return refusal;
        }

        if (Capabilities.HasFlag(BlockDevCapabilities.Tray))
        {
            TrayOpen = !load;
        }

        return null;
    }

    public void EjectRequested(bool force)
    {
        EjectRequests.Add(force);
        if (force)
        {
            Locked = false;
        }
    }

    public void Resized() => ResizeCalls++;

    public void OnBlockRequestCompleted(BlockRequest request) =>
        Completions.Add((request, request.Error, request.ErrorAction, Environment.CurrentManagedThreadId));
}
