using Emulator.Block.Backend;
using Emulator.Block.Drivers.Blkdebug;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.Nbd;
using Emulator.Block.Drivers.NullCo;
using Emulator.Block.Drivers.Qcow2;
using Emulator.Block.Drivers.Raw;
using Emulator.Block.Graph;
using Microsoft.Extensions.DependencyInjection;

namespace Emulator.Block;

/// <summary>Composition of the block layer: <c>AddBlockLayer()</c> plus one <c>AddXxxDriver()</c> per driver, explicitly.</summary>
public static class BlockServiceCollectionExtensions
{
    /// <summary>The block layer core. <paramref name="ioThreads"/> threads run blocking driver I/O (default: 2, the machine's core count here).</summary>
    public static IServiceCollection AddBlockLayer(this IServiceCollection services, int ioThreads = 2)
    {
        services.AddSingleton<BlockDriverRegistry>();
        services.AddSingleton<BlockEventBroadcaster>();
        services.AddSingleton<IBlockEventSink>(sp => sp.GetRequiredService<BlockEventBroadcaster>());
        services.AddSingleton(sp => new BlockDriverEvents(sp.GetRequiredService<IBlockEventSink>()));
        services.AddSingleton<BlockCompletionQueue>();
        services.AddSingleton(_ => new BlockIoWorkers(ioThreads));
        services.AddSingleton<BlockLayer>();
        return services;
    }

    public static IServiceCollection AddFileDriver(this IServiceCollection services) =>
        services.AddSingleton<IBlockDriverFactory, FileDriverFactory>();

    public static IServiceCollection AddRawDriver(this IServiceCollection services) =>
        services.AddSingleton<IBlockDriverFactory, RawDriverFactory>();

    public static IServiceCollection AddNullDriver(this IServiceCollection services) =>
        services.AddSingleton<IBlockDriverFactory, NullDriverFactory>();

    public static IServiceCollection AddBlkdebugDriver(this IServiceCollection services) =>
        services.AddSingleton<IBlockDriverFactory, BlkdebugDriverFactory>();

    public static IServiceCollection AddQcow2Driver(this IServiceCollection services) =>
        services.AddSingleton<IBlockDriverFactory, Qcow2DriverFactory>();

    public static IServiceCollection AddNbdDriver(this IServiceCollection services) =>
        services.AddSingleton<IBlockDriverFactory, NbdDriverFactory>();

    /// <summary>Every driver this assembly has.</summary>
    public static IServiceCollection AddStandardBlockDrivers(this IServiceCollection services) =>
        services.AddFileDriver().AddRawDriver().AddNullDriver().AddBlkdebugDriver().AddQcow2Driver().AddNbdDriver();
}
