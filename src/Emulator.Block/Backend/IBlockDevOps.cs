namespace Emulator.Block.Backend;

/// <summary>
/// Callbacks from a <see cref="BlockBackend"/> to the device model attached to it (QEMU's
/// <c>BlockDevOps</c>). All run on the machine thread. <see cref="Capabilities"/> says which ones the
/// device implements; the others are never called.
/// </summary>
public interface IBlockDevOps
{
    /// <summary>Which of the optional callbacks below this device implements; it must not change while attached.</summary>
    BlockDevCapabilities Capabilities { get; }

    /// <summary>
    /// The monitor changed the virtual medium: <paramref name="load"/> is true on load/tray close,
    /// false on eject/tray open. Only a load may be refused: return an error message to refuse it.
    /// </summary>
    string? ChangeMedia(bool load) => null;

    /// <summary>The monitor asked to open a locked tray; the device asks its guest to eject, and drops its lock if <paramref name="force"/>.</summary>
    void EjectRequested(bool force)
    {
    }

    /// <summary>True while the device's tray is open (asked only with <see cref="BlockDevCapabilities.Tray"/>).</summary>
    bool IsTrayOpen => false;

    /// <summary>True while the guest has locked the medium in (asked only with <see cref="BlockDevCapabilities.MediumLock"/>).</summary>
    bool IsMediumLocked => false;

    /// <summary>The medium size changed (<c>block_resize</c>).</summary>
    void Resized()
    {
    }
}
