namespace Emulator.Machine.Platform;

/// <summary>What the machine builder decides about the PC chips: memory size, start time and the host-side sinks and callbacks.</summary>
public sealed class PcChipsetOptions
{
    /// <summary>Guest RAM below 4 GiB, for CMOS and fw_cfg.</summary>
    public ulong RamBelowFourGigabytes { get; init; } = 32UL << 20;

    /// <summary>Guest RAM above 4 GiB, for CMOS bytes 0x5B-0x5D.</summary>
    public ulong RamAboveFourGigabytes { get; init; }

    /// <summary>Wall-clock time the RTC starts from; the host clock at start, or a fixed instant for repeatable runs.</summary>
    public DateTime RtcStartTime { get; init; } = DateTime.UtcNow;

    /// <summary>CMOS drive type for floppy drive A; a 1.44 MB drive by default.</summary>
    public CmosFloppyType FloppyA { get; init; } = CmosFloppyType.Drive1440K;

    /// <summary>CMOS drive type for floppy drive B; none by default.</summary>
    public CmosFloppyType FloppyB { get; init; } = CmosFloppyType.None;

    /// <summary>The VGA's ports are claimed; without it they float, as on QEMU's pc with -vga none.</summary>
    public bool HasVga { get; init; } = true;

    /// <summary>COM1's ports are claimed; without it they float, as on QEMU's pc with no isa-serial.</summary>
    public bool HasCom1 { get; init; } = true;

    /// <summary>Bytes the guest sends on COM1.</summary>
    public Action<byte> SerialOutput { get; init; } = static _ => { };

    /// <summary>Bytes the guest writes to the 0xE9 debug console.</summary>
    public Action<byte> DebugConsoleOutput { get; init; } = static _ => { };

    /// <summary>Codes the firmware writes to the POST port 0x80; null to ignore them.</summary>
    public Action<byte>? PostCodeOutput { get; init; }

    /// <summary>isa-debug-exit: the guest asks to exit with this status.</summary>
    public Action<int> ExitRequested { get; init; } = static _ => { };

    /// <summary>The guest pulled the CPU reset line (8042, port 0x92, port 0xCF9).</summary>
    public Action ResetRequested { get; init; } = static () => { };

    /// <summary>Called when the guest powers the board off through ACPI (PIIX4 PM1 control, soft-off).</summary>
    public Action PowerOffRequested { get; init; } = static () => { };
}
