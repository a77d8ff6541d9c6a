using Emulator.Machine.Memory;
using Emulator.Machine.Platform;

namespace Emulator.Machine.Loop;

/// <summary>How a PC machine is built.</summary>
public sealed record PcMachineOptions
{
    /// <summary>Guest RAM in bytes: at least 1 MiB and a multiple of 4 KiB (<see cref="GuestMemory.PageSize"/>).</summary>
    public int RamSize { get; init; } = GuestMemory.DefaultRamSize;

    /// <summary>
    /// Virtual nanoseconds per guest instruction: time advances with the instruction count, so a run
    /// is repeatable (QEMU's icount idea). 10 ns is a 100-MIPS machine.
    /// </summary>
    public long NanosecondsPerInstruction { get; init; } = 10;

    /// <summary>Most instructions run between two fixed points of the loop (bounds the latency of completions and host input).</summary>
    public long SliceInstructions { get; init; } = 20_000;

    /// <summary>
    /// What a halted CPU with only a timer pending does: sleep in real time, or jump the virtual clock to the
    /// deadline.
    /// </summary>
    public IdleMode Idle { get; init; } = IdleMode.Sleep;

    /// <summary>
    /// False for QEMU's <c>-accel qtest</c>: the CPU never runs and virtual time moves only when a
    /// test steps it, while posted work and block completions are still delivered.
    /// </summary>
    public bool RunCpu { get; init; } = true;

    /// <summary>The RTC's start time; fixed for repeatable runs.</summary>
    public DateTime RtcStartTime { get; init; } = DateTime.UtcNow;

    /// <summary>QEMU's -no-reboot: a reset the guest asks for ends the run (status 0); the monitor's system_reset still resets.</summary>
    public bool NoReboot { get; init; }

    /// <summary>
    /// QEMU's -no-shutdown: a guest power-off (or, with <see cref="NoReboot"/>, a guest reset) stops the
    /// machine in run state <see cref="MachineRunState.GuestShutdown"/> instead of ending the run; a system
    /// reset then brings it back to prelaunch.
    /// </summary>
    public bool NoShutdown { get; init; }

    /// <summary>The VGA (text mode) at its legacy ports; false for QEMU's -vga none (or -nodefaults without -vga).</summary>
    public bool Vga { get; init; } = true;

    /// <summary>COM1 at 3F8h/IRQ 4; false when QEMU would create no isa-serial (-serial none, -nodefaults without -serial).</summary>
    public bool SerialPort { get; init; } = true;

    /// <summary>CMOS drive type reported for floppy drive A (byte 0x10, high nibble).</summary>
    public CmosFloppyType FloppyA { get; init; } = CmosFloppyType.None;

    /// <summary>CMOS drive type reported for floppy drive B (byte 0x10, low nibble).</summary>
    public CmosFloppyType FloppyB { get; init; } = CmosFloppyType.None;

    /// <summary>Receives each byte the guest transmits on COM1, on the machine thread.</summary>
    public Action<byte> SerialOutput { get; init; } = static _ => { };

    /// <summary>
    /// Receives each byte the guest writes to the Bochs/QEMU debug console port 0xE9, on the machine thread.
    /// </summary>
    public Action<byte> DebugConsoleOutput { get; init; } = static _ => { };
}
