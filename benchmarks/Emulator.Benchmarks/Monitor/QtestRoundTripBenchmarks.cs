using System.Net.Sockets;
using System.Text;
using BenchmarkDotNet.Attributes;
using Emulator.Machine.Loop;
using Emulator.Monitor.Machine;
using Emulator.Monitor.Qtest;

namespace Emulator.Benchmarks.Monitor;

/// <summary>
/// Round-trip latency of one qtest <c>inb</c> over the Unix socket, in the libqtest arrangement (the
/// harness listens, the emulator connects) against a machine in -accel qtest mode whose loop runs on
/// its own thread. Each invocation is one command and its reply; see the Median column.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class QtestRoundTripBenchmarks
{
    private static readonly byte[] Command = Encoding.ASCII.GetBytes("inb 0x71\n");

    private readonly byte[] _reply = new byte[64];
    private string _dir = null!;
    private PcMachine _machine = null!;
    private Thread _loop = null!;
    private QtestServer _server = null!;
    private Socket _listener = null!;
    private Socket _client = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("emu-qtest-bench-").FullName;
        _machine = new PcMachine(new PcMachineOptions { RunCpu = false });
        _machine.Start();
        _loop = new Thread(() => _machine.Run(new RunLimits())) { IsBackground = true };
        _loop.Start();
        var path = Path.Combine(_dir, "qtest.sock");
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        _listener.Listen(1);
        _server = new QtestServer(_machine, new MachineMonitorExecutor(_machine));
        _server.ConnectUnix(path);
        _client = _listener.Accept();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _machine.Exit(0);
        _loop.Join();
        _client.Dispose();
        _listener.Dispose();
        _server.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark]
    public int InbRoundTrip()
    {
        _client.Send(Command);
        var received = 0;
        do
        {
            received += _client.Receive(_reply.AsSpan(received));
        }
        while (_reply[received - 1] != (byte)'\n');

        return received;
    }
}
