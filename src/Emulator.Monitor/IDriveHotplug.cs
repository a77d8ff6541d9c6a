namespace Emulator.Monitor;

/// <summary>
/// What HMP <c>drive_add</c> acts on: the front end that turns <c>-drive</c> options into a backend
/// (placement, default names, image and node options). Runs on the machine thread.
/// </summary>
public interface IDriveHotplug
{
    /// <summary>
    /// Creates the drive <paramref name="options"/> describes (<c>-drive</c>'s syntax). Only
    /// <c>if=none</c> drives can be added while the machine runs; any failure, that refusal included,
    /// is a <see cref="Qmp.QmpException"/> whose message is what QEMU prints.
    /// </summary>
    void AddDrive(string options);
}
