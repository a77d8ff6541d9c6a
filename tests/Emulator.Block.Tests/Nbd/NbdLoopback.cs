using System.Net.Sockets;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.Nbd;
using Emulator.Block.Graph;
using Emulator.Block.Nbd.Server;
using Emulator.Block.Tests.Support;

namespace Emulator.Block.Tests.Nbd;

/// <summary>Our server exporting a node of a test block layer on a Unix socket in the test's folder, and our client opened on it.</summary>
internal sealed class NbdLoopback : IDisposable
{
    public NbdLoopback(BlockHarness harness, BlockDriverState exported, bool writable = true, NbdServerOptions? options = null, string export = "e", bool multiConn = false)
    {
        Harness = harness;
        SocketPath = Path.Combine(harness.TempDir, $"nbd-{Guid.NewGuid():N}.sock"[..24]);
        Server = new NbdServer(new UnixDomainSocketEndPoint(SocketPath), options ?? new NbdServerOptions { MaxClients = 0, Persistent = true });
        Server.AddExport(new NbdExport(export, exported, writable) { MultiConn = multiConn });
        Exported = exported;
    }

    public BlockHarness Harness { get; }

    public NbdServer Server { get; }

    public BlockDriverState Exported { get; }

    public string SocketPath { get; }

    public string Uri(string export = "e") => $"nbd+unix:///{export}?socket={SocketPath}";

    public static BlockDriverState FileNode(BlockHarness harness, long length, string name = "disk.img") =>
        harness.Layer.Graph.Open(new FileNodeOptions(harness.CreateImage(length, name)));

    public BlockDriverState OpenClient(bool readOnly = false, int reconnectDelay = 0, string export = "e") =>
        Harness.Layer.Graph.Open(new NbdNodeOptions(NbdServerAddress.Unix(SocketPath)) { Export = export, ReadOnly = readOnly, ReconnectDelaySeconds = reconnectDelay });

    public static T Wait<T>(ValueTask<T> operation) =>
        operation.AsTask().WaitAsync(TimeSpan.FromSeconds(20)).GetAwaiter().GetResult();

    public static BlockError Wait(ValueTask<BlockError> operation) => Wait<BlockError>(operation);

    public void Dispose() => Server.Dispose();
}
