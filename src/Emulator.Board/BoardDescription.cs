using Emulator.Machine.Loop;

namespace Emulator.Board;

/// <summary>
/// What a pc board is built from: the machine (RAM, RTC start, serial, reboot behaviour, whether the CPU
/// runs), the drives in command-line order, the boot order for the BIOS, and optionally a boot sector the
/// BIOS loads from fw_cfg before any drive. <see cref="BoardBuilder"/> turns it into a <see cref="PcBoard"/>.
/// </summary>
public sealed record BoardDescription
{
    /// <summary>The machine's options: RAM size, RTC start, serial output, reboot behaviour, whether the CPU runs.</summary>
    public PcMachineOptions Machine { get; init; } = new();

    /// <summary>-machine none: no storage bus; a drive that names its interface is refused.</summary>
    public bool EmptyBoard { get; init; }

    /// <summary>
    /// A completion becomes guest-visible at the first loop fixed point after its submission, however long
    /// the host took (the machine waits for the host): polling guests run the same way twice too.
    /// </summary>
    public bool DeterministicIo { get; init; }

    /// <summary>
    /// A BIOS image to run instead of the built-in firmware (QEMU's -bios): mapped below 4 GiB with its last
    /// 128 KiB (or all of it, if smaller) aliased below 1 MiB; null for the built-in BIOS.
    /// </summary>
    public byte[]? Bios { get; init; }

    /// <summary>The first PCI slot a device without an address takes (<see cref="StorageDevices.FirstUserSlot"/>).</summary>
    public int FirstUserSlot { get; init; } = StorageDevices.FirstFreeSlot;

    /// <summary>The drives in command-line order; placement gives each its bus, unit and default name in this order.</summary>
    public IReadOnlyList<BoardDrive> Drives { get; init; } = [];

    /// <summary>
    /// Drives the front end adds when nothing took their position (<see cref="BoardDrive.IsDefault"/>): for
    /// <c>emu system</c> QEMU's empty ide1-cd0, floppy0 and sd0 unless -nodefaults; none for <c>emu boot</c>.
    /// </summary>
    public IReadOnlyList<BoardDrive> DefaultDrives { get; init; } = [];

    /// <summary>QEMU's -boot order (a floppy, c hard disk, d CD-ROM, n network); "cad" is the pc default.</summary>
    public string BootOrder { get; init; } = DefaultBootOrder;

    /// <summary>-boot once=: the order for the first boot; the machine's first reset restores <see cref="BootOrder"/>.</summary>
    public string? BootOnce { get; init; }

    /// <summary>False with QEMU's -no-fd-bootchk: the BIOS boots a floppy whose first sector lacks the 55AAh signature.</summary>
    public bool CheckFloppySignature { get; init; } = true;

    /// <summary>-boot menu=on: fw_cfg's boot-menu item tells the firmware to offer a menu (ours has none).</summary>
    public bool BootMenu { get; init; }

    /// <summary>-boot splash-time= (ms): fw_cfg etc/boot-menu-wait, only when given.</summary>
    public ushort? SplashTime { get; init; }

    /// <summary>-boot reboot-timeout= (ms, -1 never): fw_cfg etc/boot-fail-wait, always there as on QEMU's pc.</summary>
    public int RebootTimeout { get; init; } = -1;

    /// <summary>-uuid: the 16 bytes of fw_cfg's UUID item (string order), or null for all zeros.</summary>
    public byte[]? Uuid { get; init; }

    /// <summary>A boot sector the BIOS boots before trying any drive (the demo guest), or null.</summary>
    public byte[]? FirmwareBootSector { get; init; }

    /// <summary>QEMU's pc default boot order: floppy, hard disk, CD-ROM.</summary>
    public const string DefaultBootOrder = "cad";
}
