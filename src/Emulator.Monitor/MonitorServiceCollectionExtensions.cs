using Emulator.Block.Backend;
using Emulator.Monitor.Commands;
using Emulator.Monitor.Hmp;
using Emulator.Monitor.Qmp;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Emulator.Monitor;

/// <summary>Composition of the monitor: the QMP command table over the block layer and the machine control.</summary>
public static class MonitorServiceCollectionExtensions
{
    /// <summary>
    /// Registers the QMP server and its commands. The caller registers <see cref="IMachineControl"/> and,
    /// when a machine loop runs, an <see cref="IMonitorExecutor"/> that runs commands on its thread
    /// (otherwise commands run serialised on the client's thread). qemu-io prints to the console, as QEMU's
    /// does. device_add/device_del exist when
    /// the caller registers an <see cref="IDeviceHotplug"/>, x-emu-io-trace-start/stop when it registers an
    /// <see cref="IIoTraceControl"/>.
    /// </summary>
    public static IServiceCollection AddMonitor(this IServiceCollection services)
    {
        services.AddSingleton<MonitorEvents>();
        services.AddSingleton<BlockdevOptionsParser>();
        services.AddSingleton<BlockEventBridge>();
        services.AddSingleton<SerialMonitorExecutor>();
        services.TryAddSingleton(_ => new HmpOutput(Console.Out));
        services.AddSingleton(sp =>
        {
            var machine = sp.GetRequiredService<IMachineControl>();
            var table = new QmpCommandTable { InPreconfig = () => machine.InPreconfig };
            var layer = sp.GetRequiredService<BlockLayer>();
            CoreCommands.Register(table, machine, layer);
            QomCommands.Register(table, machine);
            BlockQueryCommands.Register(table, layer);
            BlockMediaCommands.Register(table, layer);
            BlockdevCommands.Register(table, layer, sp.GetRequiredService<BlockdevOptionsParser>());
            HmpCommands.Register(table, layer, sp.GetRequiredService<HmpOutput>(), sp.GetService<IDriveHotplug>());
            NbdServerCommands.Register(table, layer);
            MachineInfoCommands.Register(table);
            if (sp.GetService<IDeviceHotplug>() is { } hotplug)
            {
                DeviceCommands.Register(table, hotplug);
            }

            if (sp.GetService<IIoTraceControl>() is { } ioTrace)
            {
                IoTraceCommands.Register(table, ioTrace);
            }

            return table;
        });
        services.AddSingleton(sp =>
        {
            // Events flow from the block layer as soon as a server exists.
            sp.GetRequiredService<BlockEventBridge>();
            return new QmpServer(
                sp.GetRequiredService<QmpCommandTable>(),
                sp.GetService<IMonitorExecutor>() ?? sp.GetRequiredService<SerialMonitorExecutor>(),
                sp.GetRequiredService<MonitorEvents>());
        });
        return services;
    }
}
