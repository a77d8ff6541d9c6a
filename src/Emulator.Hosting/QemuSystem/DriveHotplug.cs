using Emulator.Block.Backend;
using Emulator.Board;
using Emulator.Monitor;
using Emulator.Monitor.Qmp;

namespace Emulator.Hosting.QemuSystem;

/// <summary>
/// HMP drive_add for <c>emu system</c> (QEMU's hmp_drive_add): the options are a <c>-drive</c>, placed after
/// the command line's drives and opened the same way. Only <c>if=none</c> drives can be added to a running
/// pc; any other interface is refused with QEMU's "Can't hot-add drive to type N" (without opening the image
/// first, which QEMU does, so an unopenable file there is reported as the refusal rather than the open error).
/// </summary>
internal sealed class DriveHotplug(EmulatorHost host) : IDriveHotplug
{
    /// <summary>QEMU's BlockInterfaceType numbers, which its refusal prints.</summary>
    private static readonly Dictionary<string, int> InterfaceTypes = new(StringComparer.Ordinal)
    {
        ["none"] = 0, ["ide"] = 1, ["scsi"] = 2, ["floppy"] = 3, ["pflash"] = 4, ["mtd"] = 5, ["sd"] = 6, ["virtio"] = 7, ["xen"] = 8,
    };

    public void AddDrive(string options)
    {
        var parse = host.DriveParser ?? throw new QmpException("drive_add needs the -drive syntax of emu system");
        BoardDrive drive;
        try
        {
            var items = KeyValueList.Parse(options, "file");
            drive = parse(items);
        }
        catch (QemuOptionException e)
        {
            throw new QmpException(Bare(e.Detail));
        }

        if (drive.Id is { } id && host.Layer.FindBackend(id) is not null)
        {
            throw new QmpException($"Duplicate ID '{id}' for drive");
        }

        if (drive.Interface != DrivePlacement.None)
        {
            throw new QmpException(InterfaceTypes.TryGetValue(drive.Interface, out var type)
                ? $"Can't hot-add drive to type {type}"
                : $"unsupported bus type '{drive.Interface}'");
        }

        try
        {
            host.Board.AddDrive(host.Board.Placement, drive);
        }
        catch (BoardException e)
        {
            throw new QmpException(Bare(e.Message, drive.Label));
        }
        catch (BlockOperationException e)
        {
            throw new QmpException(e.Message);
        }
        catch (QemuOptionException e)
        {
            throw new QmpException(Bare(e.Detail));
        }
    }

    /// <summary>A command-line message without the "-drive …: " it starts with there (HMP prints the bare message).</summary>
    private static string Bare(string message, string? label = null)
    {
        if (label is not null && message.StartsWith(label + ": ", StringComparison.Ordinal))
        {
            return message[(label.Length + 2)..];
        }

        return message.StartsWith("-drive", StringComparison.Ordinal) && message.IndexOf(": ", StringComparison.Ordinal) is > 0 and var colon
            ? message[(colon + 2)..]
            : message;
    }
}
