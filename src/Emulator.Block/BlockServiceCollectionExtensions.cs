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
        services.AddSingleton(sp => new BlockLayer(
            sp.GetRequiredService<BlockDriverRegistry>(),
            sp.GetRequiredService<IBlockEventSink>(),
            sp.GetRequiredService<BlockCompletionQueue>(),
            sp.GetRequiredService<BlockIoWorkers>(),
            sp.GetRequiredService<BlockDriverEvents>()));
        return services;
    }

    /// <summary>Registers the <c>file</c> protocol driver (host files and block devices, <see cref="Drivers.File.FileNodeOptions"/>).</summary>
    public static IServiceCollection AddFileDriver(this IServiceCollection services) =>
        services.AddSingleton<IBlockDriverFactory>(new BlockDriverFactory<FileNodeOptions>(
            "file", BlockDriverKind.Protocol, (node, options, _) => new FileDriver(node, options)));

    /// <summary>Registers the <c>raw</c> format driver (<see cref="Drivers.Raw.RawNodeOptions"/>).</summary>
    public static IServiceCollection AddRawDriver(this IServiceCollection services) =>
        services.AddSingleton<IBlockDriverFactory, RawDriverFactory>();

    /// <summary>Registers the <c>null-co</c> protocol driver (reads zeroes, drops writes; <see cref="Drivers.NullCo.NullNodeOptions"/>).</summary>
    public static IServiceCollection AddNullDriver(this IServiceCollection services) =>
        services.AddSingleton<IBlockDriverFactory>(new BlockDriverFactory<NullNodeOptions>(
            "null-co", BlockDriverKind.Protocol, (node, options, _) => new NullDriver(node, options)));

    /// <summary>Registers the <c>blkdebug</c> error-injection filter (<see cref="Drivers.Blkdebug.BlkdebugNodeOptions"/>).</summary>
    public static IServiceCollection AddBlkdebugDriver(this IServiceCollection services) =>
        services.AddSingleton<IBlockDriverFactory>(new BlockDriverFactory<BlkdebugNodeOptions>(
            "blkdebug", BlockDriverKind.Filter, (node, options, graph) => new BlkdebugDriver(node, options, graph)));

    /// <summary>Registers the <c>qcow2</c> format driver (<see cref="Drivers.Qcow2.Qcow2NodeOptions"/>), with image creation for <c>img create</c>.</summary>
    public static IServiceCollection AddQcow2Driver(this IServiceCollection services) =>
        services.AddSingleton<IBlockDriverFactory, Qcow2DriverFactory>();

    /// <summary>Registers the <c>nbd</c> protocol client (<c>nbd://</c> and <c>nbd+unix://</c> names, <see cref="Drivers.Nbd.NbdNodeOptions"/>).</summary>
    public static IServiceCollection AddNbdDriver(this IServiceCollection services) =>
        services.AddSingleton<IBlockDriverFactory, NbdDriverFactory>();

    /// <summary>Every driver this assembly has.</summary>
    public static IServiceCollection AddStandardBlockDrivers(this IServiceCollection services) =>
        services.AddFileDriver().AddRawDriver().AddNullDriver().AddBlkdebugDriver().AddQcow2Driver().AddNbdDriver();
}
