using Emulator.Firmware.Hardware;
using Emulator.Machine.Bus;
using Emulator.Machine.Memory;

namespace Emulator.Firmware.Services;

/// <summary>What every service reaches the machine through: guest memory and the port bus, as guest code would, plus the text console built on them.</summary>
internal sealed class FirmwareContext
{
    public FirmwareContext(GuestMemory memory, IoPortBus ports, FirmwareOptions options)
    {
        Memory = memory;
        Ports = ports;
        Options = options;
        Console = new TextConsole(memory, ports);
        Cmos = new CmosPorts(ports);
        FwCfg = new FwCfgPorts(ports);
    }

    public GuestMemory Memory { get; }

    public IoPortBus Ports { get; }

    public FirmwareOptions Options { get; }

    public TextConsole Console { get; }

    public CmosPorts Cmos { get; }

    public FwCfgPorts FwCfg { get; }

    /// <summary>Firmware messages go to the active page with teletype semantics ("\n" becomes CR LF).</summary>
    public void Print(string text)
    {
        foreach (var c in text)
        {
            if (c == '\n')
            {
                Console.Teletype(Console.ActivePage, (byte)'\r');
            }

            Console.Teletype(Console.ActivePage, (byte)c);
        }
    }
}
