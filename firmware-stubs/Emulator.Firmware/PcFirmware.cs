using Emulator.Firmware.Rom;
using Emulator.Firmware.Services;
using Emulator.Machine.Loop;

namespace Emulator.Firmware;

/// <summary>Puts the BIOS into a machine: assembles the ROM, maps it, and claims the trap port. Call before the machine starts.</summary>
public static class PcFirmware
{
    public static FirmwareTrapPort Install(PcMachine machine, FirmwareOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(machine);
        machine.LoadFirmware(BiosRomBuilder.Build());
        var trap = new FirmwareTrapPort(machine.Cpu, machine.Memory, machine.Ports, options ?? new FirmwareOptions());
        trap.RegisterPorts(machine.Ports);
        return trap;
    }
}
