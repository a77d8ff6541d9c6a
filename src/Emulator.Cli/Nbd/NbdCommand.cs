using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;
using Emulator.Block.Graph;
using Emulator.Block.Nbd;
using Emulator.Block.Nbd.Server;
using Emulator.Cli.Img;

namespace Emulator.Cli.Nbd;

/// <summary>
/// <c>emu nbd</c>: serves one image over NBD with qemu-nbd's options. The image is opened by the block
/// layer as <c>emu img</c> opens it (format probed or given, a qcow2 backing chain, an <c>nbd://</c>
/// source too); <c>-s</c> serves a temporary overlay so the image is never written. Runs until the
/// client leaves (or, with <c>--persistent</c>, until SIGTERM/SIGINT), then flushes and closes.
/// </summary>
internal static class NbdCommand
{
    public const string Usage = """
        usage: emu nbd [OPTION]... FILENAME
          -p, --port=PORT          TCP port to listen on (default 10809)
          -b, --bind=IFACE         interface to bind to (default 0.0.0.0)
          -k, --socket=PATH        listen on a Unix socket instead of TCP
          -x, --export-name=NAME   export name (default "")
          -D, --description=TEXT   export description
          -f, --format=FORMAT      image format (probed when omitted)
          -r, --read-only          export read-only
          -s, --snapshot           serve a temporary overlay; the image is not written
          -e, --shared=NUM         clients served at once (default 1, 0 = unlimited)
          -t, --persistent         keep serving after the last client leaves
              --cache=MODE         writeback (default) or none
              --discard=MODE       ignore (default) or unmap: what a client's TRIM does to the image
              --pid-file=PATH      write the process id here once listening
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            return Serve(args, stdout);
        }
        catch (ImgUsageException e)
        {
            stderr.WriteLine($"emu nbd: {e.Message}");
            return 1;
        }
        catch (BlockOperationException e)
        {
            stderr.WriteLine($"emu nbd: {e.Message}");
            return 1;
        }
        catch (SocketException e)
        {
            stderr.WriteLine($"emu nbd: Failed to listen: {e.Message}");
            return 1;
        }
    }

    private static int Serve(string[] args, TextWriter stdout)
    {
        var parsed = ImgArguments.Parse(
            args, "-p", "--port", "-b", "--bind", "-k", "--socket", "-x", "--export-name", "-D", "--description", "-f", "--format", "-e", "--shared", "--cache", "--discard", "--pid-file");
        if (parsed.Has("-h") || parsed.Has("--help"))
        {
            stdout.WriteLine(Usage);
            return 0;
        }

        parsed.AllowOnly(
            "-p", "--port", "-b", "--bind", "-k", "--socket", "-x", "--export-name", "-D", "--description", "-f", "--format",
            "-r", "--read-only", "-s", "--snapshot", "-e", "--shared", "-t", "--persistent", "--cache", "--discard", "--pid-file");
        if (parsed.Positional.Count != 1)
        {
            throw new ImgUsageException("Expected exactly one image file name (try 'emu nbd --help')");
        }

        var readOnly = parsed.Has("-r") || parsed.Has("--read-only");
        var cache = (parsed.Get("--cache") ?? "writeback") switch
        {
            "writeback" or "writethrough" => FileCacheMode.Writeback,
            "none" or "directsync" => FileCacheMode.None,
            var other => throw new ImgUsageException($"Invalid cache mode '{other}'"),
        };
        // qemu-nbd's --discard (bdrv_parse_discard_flags): TRIM is ignored unless asked to unmap.
        var discardUnmap = (parsed.Get("--discard") ?? "ignore") switch
        {
            "ignore" or "off" => false,
            "unmap" or "on" => true,
            var other => throw new ImgUsageException($"Invalid discard mode '{other}'"),
        };
        var shared = Number(parsed.Get("-e") ?? parsed.Get("--shared") ?? "1", "shared", 0, 1024);
        var options = new NbdServerOptions { MaxClients = shared, Persistent = parsed.Has("-t") || parsed.Has("--persistent") };
        var endPoint = EndPointOf(parsed);

        using var session = new ImgSession();
        var image = parsed.Positional[0];
        var format = parsed.Get("-f") ?? parsed.Get("--format");
        BlockDriverState node;
        BlockBackend io;
        if (parsed.Has("-s") || parsed.Has("--snapshot"))
        {
            var backend = session.Layer.OpenImageSnapshot(new BlockBackendOptions(), image, format, cache);
            node = session.Layer.Graph.Find(backend.RootNodeName!)!;
            io = backend;
        }
        else
        {
            node = session.Open(image, format, readOnly, cache, discardUnmap: discardUnmap);
            io = session.Io(node);
        }

        var name = parsed.Get("-x") ?? parsed.Get("--export-name") ?? string.Empty;
        var export = new NbdExport(name, node, !readOnly, parsed.Get("-D") ?? parsed.Get("--description")) { MultiConn = shared != 1 };
        using var server = new NbdServer(endPoint, options);
        server.AddExport(export);
        if (parsed.Get("--pid-file") is { } pidFile)
        {
            File.WriteAllText(pidFile, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        }

        using var stop = new ManualResetEventSlim();
        var signals = new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP }
            .Select(s => PosixSignalRegistration.Create(s, context =>
            {
                context.Cancel = true;
                stop.Set();
            }))
            .ToArray();
        try
        {
            WaitHandle.WaitAny([stop.WaitHandle, ((IAsyncResult)server.Finished).AsyncWaitHandle]);
        }
        finally
        {
            foreach (var signal in signals)
            {
                signal.Dispose();
            }
        }

        server.Dispose();
        var flushed = io.Flush();
        if (flushed != BlockError.None)
        {
            throw new ImgFailedException($"Could not flush the image: {flushed.Describe()}");
        }

        return 0;
    }

    private static EndPoint EndPointOf(ImgArguments parsed)
    {
        if ((parsed.Get("-k") ?? parsed.Get("--socket")) is { } path)
        {
            if (parsed.Has("-p") || parsed.Has("--port") || parsed.Has("-b") || parsed.Has("--bind"))
            {
                throw new ImgUsageException("--socket cannot be used with --port or --bind");
            }

            // As QEMU does: a stale socket file from an earlier run is replaced.
            if (File.Exists(path))
            {
                File.Delete(path);
            }

            return new UnixDomainSocketEndPoint(path);
        }

        var port = Number(parsed.Get("-p") ?? parsed.Get("--port") ?? NbdLimits.DefaultPort.ToString(CultureInfo.InvariantCulture), "port", 0, 65535);
        var bind = parsed.Get("-b") ?? parsed.Get("--bind") ?? "0.0.0.0";
        var address = IPAddress.TryParse(bind, out var ip) ? ip : Dns.GetHostAddresses(bind).FirstOrDefault()
            ?? throw new ImgUsageException($"Cannot resolve '{bind}'");
        return new IPEndPoint(address, port);
    }

    private static int Number(string text, string what, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new ImgUsageException($"Invalid {what} '{text}'");
}
