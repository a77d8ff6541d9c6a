namespace Emulator.Block.Backend;

/// <summary>
/// Which <see cref="IBlockDevOps"/> callbacks a device really implements. In QEMU the presence of a
/// callback pointer carries this meaning (no media callback = not removable, no tray callback = no tray).
/// </summary>
[Flags]
public enum BlockDevCapabilities : byte
{
    /// <summary>No optional callback: a fixed, non-removable disk.</summary>
    None = 0,

    /// <summary>The device takes media changes (<see cref="IBlockDevOps.ChangeMedia"/>): it is removable.</summary>
    ChangeMedia = 1,

    /// <summary>The device can be asked to eject (<see cref="IBlockDevOps.EjectRequested"/>).</summary>
    EjectRequest = 2,

    /// <summary>The device has a tray (<see cref="IBlockDevOps.IsTrayOpen"/>).</summary>
    Tray = 4,

    /// <summary>The guest can lock the medium (<see cref="IBlockDevOps.IsMediumLocked"/>).</summary>
    MediumLock = 8,

    /// <summary>The device wants to hear about resizes (<see cref="IBlockDevOps.Resized"/>).</summary>
    Resize = 16,
}
