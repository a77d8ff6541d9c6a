namespace Emulator.Block.Backend;

/// <summary>Device I/O status as <c>query-block</c> reports it (<c>BlockDeviceIoStatus</c>).</summary>
public enum IoStatus : byte
{
    Ok,
    Failed,
    NoSpace,
}
