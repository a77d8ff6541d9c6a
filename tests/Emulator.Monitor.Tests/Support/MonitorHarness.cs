using Emulator.Block;
using Emulator.Block.Backend;
using Emulator.Monitor.Hmp;
using Emulator.Monitor.Qmp;
using Microsoft.Extensions.DependencyInjection;

namespace Emulator.Monitor.Tests.Support;

/// <summary>A block layer, a fake machine and a QMP server listening on a Unix socket in a temp folder.</summary>
internal sealed class MonitorHarness : IDisposable
{
    private readonly ServiceProvider _services;

    public MonitorHarness()
    {
        TempDir = Directory.CreateTempSubdirectory("emu-qmp-test-").FullName;
        _services = new ServiceCollection()
            .AddBlockLayer()
            .AddStandardBlockDrivers()
            .AddSingleton(new HmpOutput(QemuIoOutput))
            .AddMonitor()
            .AddSingleton<FakeMachine>()
            .AddSingleton<IMachineControl>(sp => sp.GetRequiredService<FakeMachine>())
            .BuildServiceProvider();
        Layer = _services.GetRequiredService<BlockLayer>();
        Machine = _services.GetRequiredService<FakeMachine>();
        Server = _services.GetRequiredService<QmpServer>();
        Events = _services.GetRequiredService<MonitorEvents>();
        SocketPath = Path.Combine(TempDir, "qmp.sock");
        Server.ListenUnix(SocketPath);
    }

    public string TempDir { get; }

    /// <summary>What qemu-io printed (QEMU prints it on the emulator's stdout).</summary>
    public StringWriter QemuIoOutput { get; } = new();

    public string SocketPath { get; }

    public BlockLayer Layer { get; }

    public FakeMachine Machine { get; }

    public QmpServer Server { get; }

    public MonitorEvents Events { get; }

    public QmpTestClient Connect(bool negotiate = true) => QmpTestClient.Connect(SocketPath, negotiate);

    public string CreateImage(long length, string name)
    {
        var path = Path.Combine(TempDir, name);
        using var file = File.Create(path);
        file.SetLength(length);
        return path;
    }

    /// <summary>An IDE-CD-like drive: backend "cd0" with device id "cdx", empty unless <paramref name="image"/> is given.</summary>
    public (BlockBackend Backend, TestDrive Drive) AddCd(string? image = null)
    {
        var backend = image is null
            ? Layer.CreateBackend(new BlockBackendOptions { Name = "cd0", ReadOnly = true })
            : Layer.OpenImage(new BlockBackendOptions { Name = "cd0", ReadOnly = true }, image, "raw");
        var drive = TestDrive.Cd();
        backend.AttachDevice(drive, "cdx");
        backend.EnableIoStatus();
        return (backend, drive);
    }

    public (BlockBackend Backend, TestDrive Drive) AddDisk(string image, BlockBackendOptions? options = null)
    {
        var backend = Layer.OpenImage(options ?? new BlockBackendOptions { Name = "hd0" }, image, "raw");
        var drive = TestDrive.Disk();
        backend.AttachDevice(drive, "hdx");
        backend.EnableIoStatus();
        return (backend, drive);
    }

    public void Dispose()
    {
        _services.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(TempDir, recursive: true);
    }
}
