using Emulator.Firmware.Services;
using Emulator.Machine.Loop;
using Iced.Intel;

namespace Emulator.Firmware.Tests;

/// <summary>
/// A PC with the real BIOS ROM whose boot device is a boot sector the test assembles (handed over
/// through fw_cfg, like the demo guest). Guest code stores what it observed at <see cref="ResultBase"/>
/// and leaves through isa-debug-exit; tests read results from guest memory and the screen.
/// </summary>
internal sealed class BiosTestMachine
{
    public const ushort Origin = 0x7C00;
    public const uint ResultBase = 0x0500;
    public const ushort DebugExitPort = 0x501;
    public static readonly DateTime RtcStart = new(2026, 11, 21, 13, 45, 30, DateTimeKind.Utc);

    public BiosTestMachine(Action<Assembler> bootSector, PcMachineOptions? options = null)
    {
        Machine = new PcMachine((options ?? new PcMachineOptions()) with { Idle = IdleMode.Skip, RtcStartTime = RtcStart });
        Firmware = PcFirmware.InstallWithTrap(Machine);
        var assembler = new Assembler(16);
        bootSector(assembler);
        using var stream = new MemoryStream();
        assembler.Assemble(new StreamCodeWriter(stream), Origin);
        Machine.Chipset.FwCfg.AddFile(FirmwareOptions.BootSectorFile, stream.ToArray());
    }

    public PcMachine Machine { get; }

    public FirmwareTrapPort Firmware { get; }

    /// <summary>Emits the guest's exit: OUT 501h, 0 (status 1), then a halt loop.</summary>
    public static void Exit(Assembler a)
    {
        var halt = a.CreateLabel();
        a.mov(AssemblerRegisters.dx, DebugExitPort);
        a.xor(AssemblerRegisters.al, AssemblerRegisters.al);
        a.@out(AssemblerRegisters.dx, AssemblerRegisters.al);
        a.Label(ref halt);
        a.cli();
        a.hlt();
        a.jmp(halt);
    }

    public RunStopReason Run(long maxInstructions = 20_000_000) =>
        Machine.Run(new RunLimits { MaxInstructions = maxInstructions, ReturnWhenIdle = true, ReturnWhenPaused = true });

    public ushort Word(uint offset) => Machine.Memory.ReadWord(ResultBase + offset);

    public uint Dword(uint offset) => Machine.Memory.ReadDword(ResultBase + offset);

    public byte Byte(uint offset) => Machine.Memory.ReadByte(ResultBase + offset);

    public string Screen => Machine.Chipset.Vga.ScreenDump();
}
