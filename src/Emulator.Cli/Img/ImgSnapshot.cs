using Emulator.Block.Backend;
using Emulator.Block.Drivers.Qcow2;

namespace Emulator.Cli.Img;

/// <summary>
/// <c>emu img snapshot [-f fmt] [-q] [-U] (-l | -c name) filename</c>: lists the internal snapshots
/// as qemu-img does, or creates one of the active image. Applying (-a) and deleting (-d) snapshots
/// are not implemented yet and are refused with a clear message.
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

        if (parsed.Has("-a") || parsed.Has("-d"))
        {
            throw new ImgUsageException("Applying and deleting snapshots (-a, -d) is not supported by emu img yet");
        }

        var create = parsed.Get("-c");
        if ((create is null) == !parsed.Has("-l"))
        {
            throw new ImgUsageException("Expecting exactly one of -l or -c name");
        }

        using var session = new ImgSession();
        var node = session.Open(parsed.Positional[0], parsed.Get("-f"), readOnly: create is null);
        if (node.Driver is not Qcow2Driver qcow2)
        {
            throw new ImgFailedException($"Could not {(create is null ? "list" : "create")} snapshot: this image format does not support snapshots");
        }

        if (create is null)
        {
            ImgInfo.WriteSnapshotList(stdout, qcow2.Snapshots);
            return 0;
        }

        var error = qcow2.CreateSnapshot(create);
        error = error == BlockError.None ? ImgSession.Wait(node.FlushAsync()) : error;
        return error == BlockError.None
            ? 0
            : throw new ImgFailedException($"Could not create snapshot '{create}': {error.Describe()}");
    }
}
