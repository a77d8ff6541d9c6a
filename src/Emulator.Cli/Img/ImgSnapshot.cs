using Emulator.Block.Backend;

namespace Emulator.Cli.Img;

/// <summary>
/// <c>emu img snapshot [-f fmt] [-q] [-U] (-l | -c name | -a id_or_name | -d id_or_name) filename</c>:
/// lists the internal snapshots as qemu-img does, creates one of the active image, reverts the
/// active image to one, or deletes one.
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

        var create = parsed.Get("-c");
        var apply = parsed.Get("-a");
        var delete = parsed.Get("-d");
        if ((create is null ? 0 : 1) + (apply is null ? 0 : 1) + (delete is null ? 0 : 1) + (parsed.Has("-l") ? 1 : 0) != 1)
        {
            throw new ImgUsageException("Expecting exactly one of -l, -c name, -a id_or_name or -d id_or_name");
        }

        var list = create is null && apply is null && delete is null;
        using var session = new ImgSession();
        var node = session.Open(parsed.Positional[0], parsed.Get("-f"), readOnly: list);
        var action = list ? "list" : create is not null ? "create" : apply is not null ? "apply" : "delete";
        if (node.SnapshotTable is not { } table)
        {
            throw new ImgFailedException($"Could not {action} snapshot: this image format does not support snapshots");
        }

        if (list)
        {
            ImgInfo.WriteSnapshotList(stdout, table.Snapshots);
            return 0;
        }

        var error = create is not null ? table.CreateSnapshot(create)
            : apply is not null ? table.ApplySnapshot(apply)
            : table.DeleteSnapshot(delete!);
        error = error == BlockError.None ? session.Io(node).Flush() : error;
        return error == BlockError.None
            ? 0
            : throw new ImgFailedException($"Could not {action} snapshot '{create ?? apply ?? delete}': {error.Describe()}");
    }
}
