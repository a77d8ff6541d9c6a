using System.Buffers.Binary;
using Emulator.Block.Backend;
using Emulator.Devices.Ide;
using Emulator.Firmware;
using Emulator.Firmware.Services;
using Emulator.Machine.Loop;
using Emulator.Machine.Platform;

namespace Emulator.Board;

/// <summary>
/// QEMU's pc board around a <see cref="PcMachine"/>: the BIOS in the ROM, the storage controllers
/// (<see cref="StorageDevices"/>), the block layer's completions delivered at the loop's fixed point and
/// its stop policy pausing the machine. <see cref="Populate"/> places and opens the described drives and
/// writes the boot order. Every front end (emu boot, emu system, in-process harnesses) builds the board here.
/// </summary>
public sealed class PcBoard
{
    private const int IdeDrives = 4;
    private const string BootFailWaitFile = "etc/boot-fail-wait";
    private const string BootMenuWaitFile = "etc/boot-menu-wait";
    private const int CmosHardDisks = 2;

    private bool _checkFloppySignature = true;

    /// <summary>
    /// Builds the board's fixed part around <paramref name="machine"/>: the BIOS, the IDE function and floppy
    /// controller, the block layer's connection to the loop. Add drives with <see cref="Populate"/> or
    /// <see cref="AddDrive"/> before the machine starts.
    /// </summary>
    /// <param name="machine">The machine, not started yet.</param>
    /// <param name="layer">The block layer the drives are opened in.</param>
    /// <param name="emptyBoard">-machine none: the controllers exist but no drive may name an interface.</param>
    /// <param name="deterministicIo">Completions delivered in submission order once every request in flight is done (<see cref="BlockLoopSource"/>).</param>
    /// <param name="bios">A BIOS image to run instead of the built-in firmware (<see cref="BoardDescription.Bios"/>), or null.</param>
    /// <exception cref="BoardException"><paramref name="bios"/> is not a whole number of 64 KiB blocks of at most 16 MiB.</exception>
    public PcBoard(PcMachine machine, BlockLayer layer, bool emptyBoard = false, bool deterministicIo = false, byte[]? bios = null)
    {
        Machine = machine;
        Layer = layer;
        EmptyBoard = emptyBoard;
        ConnectBlockLayer(machine, layer, deterministicIo);
        Devices = new StorageDevices(machine);
        if (bios is null)
        {
            PcFirmware.Install(machine);
        }
        else
        {
            LoadBios(machine, bios);
        }

        machine.Ready += OnMachineReady;
        machine.ResetDone += _ => PublishBiosGeometry();
    }

    /// <summary>QEMU's pc BIOS window: the image ends at 4 GiB, and its last 128 KiB (at most) end at 1 MiB.</summary>
    internal const int IsaBiosWindow = 128 << 10;

    /// <summary>A BIOS image is a whole number of 64 KiB blocks (QEMU's x86_bios_rom_init), at most 16 MiB here.</summary>
    internal const int BiosBlock = 64 << 10;

    private const long FourGigabytes = 1L << 32;
    private const uint FirstMegabyte = 1 << 20;
    private const int MaxBiosSize = 16 << 20;
    private const int FlashSector = 4 << 10;

    /// <summary>Whether <paramref name="size"/> bytes can be a BIOS image (QEMU refuses any other size with "could not load PC BIOS").</summary>
    public static bool IsBiosSize(long size) => size > 0 && size % BiosBlock == 0 && size <= MaxBiosSize;

    private static void LoadBios(PcMachine machine, byte[] image)
    {
        // -bios images are whole 64 KiB blocks (checked by the front end, as QEMU's x86_bios_rom_init does);
        // system flash is made of 4 KiB sectors (pc_sysfw.c), so the board maps any whole number of those.
        if (image.Length == 0 || image.Length % FlashSector != 0 || image.Length > MaxBiosSize)
        {
            throw new BoardException($"a firmware image is a whole number of 4 KiB sectors, at most 16 MiB (this one is {image.Length} bytes)");
        }

        machine.Memory.MapRom((uint)(FourGigabytes - image.Length), image);
        var low = Math.Min(image.Length, IsaBiosWindow);
        machine.Memory.MapRom(FirstMegabyte - (uint)low, image.AsSpan(image.Length - low));
    }

    /// <summary>The machine the board is built on.</summary>
    public PcMachine Machine { get; }

    /// <summary>
    /// What joins a block layer to a machine, for the board and for rigs that build a machine around one
    /// device: completions run at the loop's fixed point (a completion wakes a halted loop), and the stop
    /// error policy pauses the machine with run state io-error.
    /// </summary>
    public static void ConnectBlockLayer(PcMachine machine, BlockLayer layer, bool deterministicIo = false)
    {
        ArgumentNullException.ThrowIfNull(machine);
        ArgumentNullException.ThrowIfNull(layer);
        layer.RunControl = new BlockVmRunControl(machine);
        machine.AddLoopSource(new BlockLoopSource(layer, deterministicIo));
    }

    /// <summary>The block layer the drives' backends live in; its completions run on the machine thread.</summary>
    public BlockLayer Layer { get; }

    /// <summary>The storage controllers: the IDE function, the floppy controller and the virtio-blk-pci functions.</summary>
    public StorageDevices Devices { get; }

    /// <summary>True for -machine none: drives that name an interface are refused.</summary>
    public bool EmptyBoard { get; }

    /// <summary>Where the drives so far were placed: <see cref="Populate"/>'s drives, then those added at run time (HMP drive_add).</summary>
    public DrivePlacement Placement { get; } = new();

    /// <summary>
    /// Opens every drive (so a missing or locked image is reported before the guest runs) and attaches it
    /// where QEMU places it, writes the boot order to CMOS, and offers the boot sector on fw_cfg. Failures
    /// are <see cref="BoardException"/>s (position, a controller's refusal) or <see cref="BlockOperationException"/>s
    /// (image); what was opened before stays with the block layer.
    /// </summary>
    public PcBoard Populate(BoardDescription description)
    {
        Devices.FirstUserSlot = description.FirstUserSlot;
        foreach (var drive in description.Drives)
        {
            AddDrive(Placement, drive);
        }

        // QEMU's configure_blockdev: the default drives come after every -drive, each only where no drive sits.
        foreach (var drive in description.DefaultDrives.Where(Placement.IsFree))
        {
            AddDrive(Placement, drive);
        }

        if (!EmptyBoard)
        {
            _checkFloppySignature = description.CheckFloppySignature;
            ApplyBootOrder(description.BootOrder, description.BootOnce);
        }

        if (!EmptyBoard)
        {
            ApplyFirmwareConfiguration(description);
        }

        if (description.FirmwareBootSector is { } sector)
        {
            Machine.Chipset.FwCfg.AddFile(FirmwareOptions.BootSectorFile, sector);
        }

        return this;
    }

    /// <summary>
    /// The -boot and -uuid items QEMU's fw_cfg gives the firmware (fw_cfg_reboot, fw_cfg_bootsplash): the
    /// UUID, the boot-menu flag, etc/boot-fail-wait (always, -1 meaning never) and etc/boot-menu-wait when a
    /// splash time was given. Our BIOS reads none of them (SeaBIOS does); a guest or a test reading fw_cfg sees QEMU's values.
    /// </summary>
    private void ApplyFirmwareConfiguration(BoardDescription description)
    {
        var fwCfg = Machine.Chipset.FwCfg;
        if (description.Uuid is { } uuid)
        {
            fwCfg.SetItem(FwCfgKey.Uuid, uuid);
        }

        var menu = new byte[sizeof(ushort)];
        BinaryPrimitives.WriteUInt16LittleEndian(menu, description.BootMenu ? (ushort)1 : (ushort)0);
        fwCfg.SetItem(FwCfgKey.BootMenu, menu);
        var failWait = new byte[sizeof(uint)];
        BinaryPrimitives.WriteUInt32LittleEndian(failWait, unchecked((uint)description.RebootTimeout));
        fwCfg.SetFile(BootFailWaitFile, failWait);
        if (description.SplashTime is { } splash)
        {
            var menuWait = new byte[sizeof(ushort)];
            BinaryPrimitives.WriteUInt16LittleEndian(menuWait, splash);
            fwCfg.SetFile(BootMenuWaitFile, menuWait);
        }
    }

    /// <summary>Places, opens and attaches one drive; returns its backend.</summary>
    public BlockBackend AddDrive(DrivePlacement placement, BoardDrive drive)
    {
        if (!DrivePlacement.IsKnownInterface(drive.Interface))
        {
            throw new BoardException($"{drive.Label}: unsupported interface if={drive.Interface} (this pc has ide, floppy and virtio)");
        }

        var position = placement.Place(drive);
        if (EmptyBoard && drive.InterfaceGiven && drive.Interface != DrivePlacement.None)
        {
            throw new BoardException(drive.Interface == DrivePlacement.Virtio
                ? $"{drive.Label}: No 'PCI' bus found for device 'virtio-blk-pci'"
                : $"{drive.Label}: {DrivePlacement.Unsupported(position)}");
        }

        if (DrivePlacement.Orphan(position, drive.IsDefault) is { } orphan)
        {
            throw new BoardException($"{drive.Label}: {orphan}");
        }

        var backend = drive.Open(position.Name);
        if (drive.Interface is DrivePlacement.None or DrivePlacement.Sd or DrivePlacement.Pflash || EmptyBoard)
        {
            return backend;
        }

        if (drive.Interface == DrivePlacement.Ide && !drive.CdRom && backend.IsReadOnly && !drive.ReadOnlyDiskAllowed)
        {
            // QEMU 7.2's ide-hd asks for write permission at realize, which a read-only node refuses.
            throw new BoardException(StorageDevices.ReadOnlyNode);
        }

        try
        {
            Devices.AttachDrive(position, backend, drive.CdRom, drive.IdeIdentity?.Invoke(position.Name), drive.VirtioIdentity?.Invoke(position.Name));
        }
        catch (ArgumentException e)
        {
            // A controller's refusal (no free PCI slot, a drive already there) names the drive as the user wrote it.
            throw new BoardException($"{drive.Label}: {e.Message}");
        }

        return backend;
    }

    /// <summary>
    /// -boot as QEMU's pc machine applies it: the order goes to CMOS for the BIOS; with once= that order is
    /// used for the first boot and the machine's first reset puts the normal order back.
    /// </summary>
    public void ApplyBootOrder(string order, string? once = null)
    {
        SetBootOrder(once ?? order);
        if (once is null)
        {
            return;
        }

        void Restore(bool cold)
        {
            Machine.ResetDone -= Restore;
            SetBootOrder(order);
        }

        Machine.ResetDone += Restore;
    }

    /// <summary>
    /// QEMU's pc_cmos_init_late and fw_cfg machine-ready step, once every device is in place (<see cref="PcMachine.Ready"/>,
    /// before -S waits): the IDE hard disks' types, parameter tables and BIOS translations in CMOS, and the
    /// "bios-geometry" file, which each reset then rebuilds from the devices still present.
    /// </summary>
    private void OnMachineReady()
    {
        Machine.Ready -= OnMachineReady;
        if (!EmptyBoard)
        {
            WriteHardDiskCmos();
            PublishBiosGeometry();
        }
    }

    private void WriteHardDiskCmos()
    {
        var cmos = Machine.Chipset.Cmos;
        for (var index = 0; index < IdeDrives; index++)
        {
            if (Devices.Ide.GetChannel(index / 2).GetDrive(index % 2) is not AtaDisk disk)
            {
                continue;
            }

            // Only the primary channel's two disks have a parameter table; all four have a translation.
            if (index < CmosHardDisks)
            {
                CmosSetup.SetHardDisk(cmos, index, disk.Geometry.Cylinders, disk.Geometry.Heads, disk.Geometry.Sectors);
            }

            CmosSetup.SetDiskTranslation(cmos, index, (byte)disk.Translation);
        }
    }

    private void PublishBiosGeometry()
    {
        if (!EmptyBoard)
        {
            Machine.Chipset.FwCfg.SetFile(BiosGeometryList.FileName, Devices.BiosGeometry.ToFileContents());
        }
    }

    private void SetBootOrder(string order)
    {
        if (CmosSetup.CheckBootOrder(order) is { } problem)
        {
            throw new BoardException(problem);
        }

        CmosSetup.SetBootOrder(Machine.Chipset.Cmos, order, _checkFloppySignature);
    }
}
