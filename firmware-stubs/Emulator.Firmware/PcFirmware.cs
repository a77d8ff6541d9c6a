using Emulator.Firmware.Rom;
using Emulator.Firmware.Services;
using Emulator.Machine.Loop;

namespace Emulator.Firmware;

/// <summary>Puts the BIOS into a machine: assembles the ROM, maps it, and claims the trap port. Call before the machine starts.</summary>
public static class PcFirmware
{
    /// <summary>
    /// Installs the BIOS into <paramref name="machine"/>: assembles the ROM with Iced, maps it at the top of
    /// the first megabyte and of the 4 GiB space, and claims I/O port 4F0h, through which the ROM's stubs hand each BIOS
    /// service to its implementation in this assembly. Call once,
    /// on the thread that builds the machine, before it runs. The BIOS boots the first bootable disk it finds and
    /// otherwise the fw_cfg file <see cref="FirmwareOptions.BootSectorFile"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="machine"/> is null.</exception>
    public static void Install(PcMachine machine, FirmwareOptions? options = null) => InstallWithTrap(machine, options);

    /// <summary>As <see cref="Install"/>, handing back the trap port (tests read its call count and context).</summary>
    internal static FirmwareTrapPort InstallWithTrap(PcMachine machine, FirmwareOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(machine);
        machine.LoadFirmware(BiosRomBuilder.Build());
        var trap = new FirmwareTrapPort(machine.Cpu, machine.Memory, machine.Ports, options ?? new FirmwareOptions());
        trap.RegisterPorts(machine.Ports);
        return trap;
    }
}
