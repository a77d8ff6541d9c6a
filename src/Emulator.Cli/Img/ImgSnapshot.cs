using Emulator.Block.Backend;
using Emulator.Block.Drivers.Qcow2;

namespace Emulator.Cli.Img;

/// <summary>
/// <c>emu img snapshot [-f fmt] [-q] [-U] (-l | -c name | -d id_or_name) filename</c>: lists the
/// internal snapshots as qemu-img does, creates one of the active image, or deletes one. Applying
/// (-a) is not implemented yet and is refused with a clear message.
/// </summary>
internal static class ImgSnapshot
{
    public static int Run(string[] args, TextWriter stdout)
    {
        var parsed = ImgArguments.Parse(args, "-f", "-c", "-a", "-d");
        parsed.AllowOnly("-f", "-c", "-a", "-d", "-l", "-q", "-U", "--force-share");
        if (parsed.Positional.Count != 1)
        {
            throw new ImgUsageException("Expecting one image file name");
        }

        if (parsed.Has("-a"))
        {
            throw new ImgUsageException("Applying snapshots (-a) is not supported by emu img yet");
        }

        var create = parsed.Get("-c");
        var delete = parsed.Get("-d");
        if ((create is null ? 0 : 1) + (delete is null ? 0 : 1) + (parsed.Has("-l") ? 1 : 0) != 1)
        {
            throw new ImgUsageException("Expecting exactly one of -l, -c name or -d id_or_name");
        }

        var list = create is null && delete is null;
        using var session = new ImgSession();
        var node = session.Open(parsed.Positional[0], parsed.Get("-f"), readOnly: list);
        var action = list ? "list" : create is not null ? "create" : "delete";
        if (node.Driver is not Qcow2Driver qcow2)
        {
            throw new ImgFailedException($"Could not {action} snapshot: this image format does not support snapshots");
        }

        if (list)
        {
            ImgInfo.WriteSnapshotList(stdout, qcow2.Snapshots);
            return 0;
        }

        var error = create is not null ? qcow2.CreateSnapshot(create) : qcow2.DeleteSnapshot(delete!);
        error = error == BlockError.None ? ImgSession.Wait(node.FlushAsync()) : error;
        return error == BlockError.None
            ? 0
            : throw new ImgFailedException($"Could not {action} snapshot '{create ?? delete}': {error.Describe()}");
    }
}
