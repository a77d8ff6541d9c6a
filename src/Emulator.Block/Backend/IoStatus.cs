namespace Emulator.Block.Backend;

/// <summary>Device I/O status as <c>query-block</c> reports it (<c>BlockDeviceIoStatus</c>).</summary>
public enum IoStatus : byte
{
    /// <summary>No error since the status was last reset.</summary>
    Ok,
    /// <summary>An I/O error other than a full disk stopped the VM.</summary>
    Failed,
    /// <summary>A full host disk (ENOSPC) stopped the VM.</summary>
    NoSpace,
}
