using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.Nbd;
using Emulator.Block.Drivers.Raw;
using Emulator.Block.Graph;
using Emulator.Block.Nbd.Server;

namespace Emulator.Benchmarks.Block;

/// <summary>
/// The guest I/O path over NBD: 4 KiB reads through a <see cref="BlockBackend"/> on our nbd driver, served
/// in-process by our server from the rig's raw image over a Unix socket, against the same reads on
/// raw-on-file. MemoryDiagnoser counts every thread of the process, so a 0 B Allocated column means
/// neither the client (send, receive thread, completion) nor the server allocates per request.
/// </summary>
[MemoryDiagnoser]
public class NbdClientBenchmarks
{
    private const int Ops = 512;
    private const int Size = 4096;

    private BlockBenchmarkRig _rig = null!;
    private BlockDriverState _exported = null!;
    private NbdServer _server = null!;
    private BlockBackend _nbd = null!;
    private string _socket = null!;

    [Params(1, 16)]
    public int QueueDepth { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _rig = new BlockBenchmarkRig(Size, QueueDepth);
        _socket = Path.Combine(Path.GetTempPath(), $"emu-bench-nbd-{Environment.ProcessId}.sock");
        File.Delete(_socket);
        _exported = _rig.Layer.Graph.Open(new RawNodeOptions(new FileNodeOptions(_rig.ImagePath) { Locking = FileLockMode.Off }) { ReadOnly = true });
        _server = new NbdServer(new UnixDomainSocketEndPoint(_socket), new NbdServerOptions { MaxClients = 0, Persistent = true });
        _server.AddExport(new NbdExport("e", _exported, writable: false));
        _nbd = _rig.Layer.CreateBackend(new BlockBackendOptions { ReadOnly = true }, new NbdNodeOptions(NbdServerAddress.Unix(_socket)) { Export = "e", ReadOnly = true });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _nbd.Unref();
        _server.Dispose();
        _rig.Layer.Graph.Unref(_exported);
        _rig.Dispose();
        File.Delete(_socket);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Ops)]
    public void FileAsyncRead() => _rig.RunAsync(_rig.File, Ops, write: false);

    [Benchmark(OperationsPerInvoke = Ops)]
    public void NbdAsyncRead() => _rig.RunAsync(_nbd, Ops, write: false);
}
