using Emulator.Machine.Acpi;
using Emulator.Machine.Bus;
using Emulator.Machine.Dma;
using Emulator.Machine.Interrupts;
using Emulator.Machine.Lifecycle;
using Emulator.Machine.Memory;
using Emulator.Machine.Pci;
using Emulator.Machine.Timers;

namespace Emulator.Machine.Platform;

/// <summary>
/// The PC/AT platform chips wired as on a PIIX3 board, for the machine builder: PIC pair and
/// I/O APIC fed by the ISA IRQ lines, PIT on IRQ 0 with port 0x61, CMOS/RTC on IRQ 8 with the BIOS
/// bytes filled in, COM1 on IRQ 4 (character timeout paced by the clock), the 8042 with keyboard
/// and mouse on IRQ 1/12, port 0x92, VGA text, the debug console,
/// isa-debug-exit, the POST code port 0x80, fw_cfg, the ISA DMA pair, and PCI bus 0 with the i440FX at 00:00.0, the PIIX3 ISA
/// bridge at 00:01.0, PIIX4 power management at 00:01.3 (PM block at 0x600), configuration mechanism #1, the PCI I/O window at 0xC000-0xFFFF, and QEMU's ACPI
/// GPE0 block (0xAFE0, SCI on IRQ 9) with the PCI hotplug registers (0xAE00).
/// <see cref="RegisterPorts"/> claims every port before the bus is frozen; the VGA and COM1 may be left out
/// (<see cref="PcChipsetOptions.HasVga"/>, <see cref="PcChipsetOptions.HasCom1"/>), their ports then float. The I/O APIC is
/// memory-mapped: the machine maps <see cref="IoApic"/> at <see cref="IoApic.DefaultBaseAddress"/>.
/// <para>
/// Lifecycle (<see cref="IMachineDevice"/>): the machine installs the chip set first, so every device model finds its
/// lines and buses; a machine reset reaches every chip through <see cref="Reset()"/> (each part's
/// <see cref="IResettable.Reset"/>); it is never removed.
/// </para>
/// </summary>
public sealed class PcChipset : IMachineDevice
{
    /// <summary>QEMU's answer to unplugging the i440FX host, which sits on the system bus.</summary>
    private const string NotHotpluggable = "Bus 'main-system-bus' does not support hotplugging";

    private readonly bool _hasVga;
    private readonly bool _hasCom1;

    /// <summary>
    /// All chips at power-on, wired to <paramref name="clock"/>, DMA through <paramref name="memory"/> and the A20
    /// line through <paramref name="a20"/>, with the host callbacks of <paramref name="options"/>; ports are claimed
    /// by <see cref="RegisterPorts"/>.
    /// </summary>
    public PcChipset(VirtualClock clock, IDmaMemory memory, IA20Gate a20, PcChipsetOptions options)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(a20);
        ArgumentNullException.ThrowIfNull(options);
        Clock = clock;
        _hasVga = options.HasVga;
        _hasCom1 = options.HasCom1;
        Pic = new PicPair();
        IoApic = new IoApic();
        IrqLines = new IsaIrqLines(Pic, IoApic);
        Pit = new Pit8254(clock, IrqLines[0]);
        PortB = new SystemControlPortB(Pit);
        Cmos = new CmosRtc(clock, options.RtcStartTime, IrqLines[8]);
        CmosSetup.SetMemorySize(Cmos, options.RamBelowFourGigabytes, options.RamAboveFourGigabytes);
        CmosSetup.SetFloppyTypes(Cmos, options.FloppyA, options.FloppyB);
        Com1 = new Uart16550(IrqLines[Uart16550.Com1Irq], options.SerialOutput, Uart16550.Com1Port, clock);
        Keyboard = new Kbc8042(IrqLines[Kbc8042.KeyboardIrq], IrqLines[Kbc8042.AuxIrq], a20, options.ResetRequested);
        PortA = new SystemControlPortA(a20, options.ResetRequested);
        Vga = new VgaText(memory);
        DebugConsole = new DebugConsolePort(options.DebugConsoleOutput);
        DebugExit = new DebugExitPort(options.ExitRequested);
        PostCode = new PostCodePort(options.PostCodeOutput);
        FwCfg = new FwCfg(options.RamBelowFourGigabytes + options.RamAboveFourGigabytes);
        Dma = new IsaDma(memory);
        PciIoWindow = new PciIoWindow();
        PciBus = new PciBus(PciIoWindow);
        HostBridge = new I440fxHostBridge();
        IsaBridge = new Piix3IsaBridge();
        PciBus.Register(I440fxHostBridge.SlotDevice, I440fxHostBridge.SlotFunction, HostBridge);
        PciBus.Register(Piix3IsaBridge.SlotDevice, Piix3IsaBridge.SlotFunction, IsaBridge);
        PowerManagement = new Piix4PowerManagement(clock, options.PowerOffRequested);
        PciBus.Register(Piix4PowerManagement.SlotDevice, Piix4PowerManagement.SlotFunction, PowerManagement);
        PciConfig = new PciConfigPorts(PciBus, options.ResetRequested);
        PciInterrupts = new PciInterruptRouter(IsaBridge, IrqLines);
        AcpiGpe = new AcpiGpeBlock(IrqLines[AcpiGpeBlock.SciIrq]);
        PciHotplug = new AcpiPciHotplug(AcpiGpe);
    }

    /// <summary>The virtual clock every timer of the chipset runs on.</summary>
    public VirtualClock Clock { get; }

    /// <summary>The 8259A pair at 0x20/0xA0, the CPU's interrupt controller.</summary>
    public PicPair Pic { get; }

    /// <summary>The I/O APIC; its MMIO window is mapped by the machine.</summary>
    public IoApic IoApic { get; }

    /// <summary>The ISA IRQ lines; devices take their line from here.</summary>
    public IsaIrqLines IrqLines { get; }

    /// <summary>The 8254 PIT at 0x40-0x43, counter 0 on IRQ 0.</summary>
    public Pit8254 Pit { get; }

    internal SystemControlPortB PortB { get; }

    /// <summary>The MC146818 RTC and CMOS RAM at 0x70/0x71, on IRQ 8.</summary>
    public CmosRtc Cmos { get; }

    internal Uart16550 Com1 { get; }

    /// <summary>
    /// The 8042 keyboard controller at 0x60/0x64 with its keyboard (IRQ 1) and mouse (IRQ 12); the host types through
    /// it.
    /// </summary>
    public Kbc8042 Keyboard { get; }

    internal SystemControlPortA PortA { get; }

    /// <summary>The text-mode VGA at 0x3C0-0x3DF; its screen is readable as text.</summary>
    public VgaText Vga { get; }

    internal DebugConsolePort DebugConsole { get; }

    /// <summary>QEMU's isa-debug-exit at 0x501.</summary>
    public DebugExitPort DebugExit { get; }

    internal PostCodePort PostCode { get; }

    /// <summary>
    /// The fw_cfg device at 0x510/0x511; the machine builder adds files and items to it before the guest runs.
    /// </summary>
    public FwCfg FwCfg { get; }

    /// <summary>ISA DMA: both 8237A controllers and the page registers.</summary>
    public IsaDma Dma { get; }

    internal PciIoWindow PciIoWindow { get; }

    /// <summary>PCI bus 0, reached through the configuration ports 0xCF8/0xCFC.</summary>
    public PciBus PciBus { get; }

    /// <summary>The i440FX host bridge at 00:00.0.</summary>
    public I440fxHostBridge HostBridge { get; }

    internal Piix3IsaBridge IsaBridge { get; }

    /// <summary>PIIX4 power management at 00:01.3: the ACPI PM1 registers and PM timer, soft-off.</summary>
    internal Piix4PowerManagement PowerManagement { get; }

    internal PciConfigPorts PciConfig { get; }

    /// <summary>The PIIX3's PIRQ routing: PCI devices take their INTx# line from here.</summary>
    public PciInterruptRouter PciInterrupts { get; }

    /// <summary>GPE0: the SCI source of the hotplug registers.</summary>
    internal AcpiGpeBlock AcpiGpe { get; }

    /// <summary>The ACPI PCI hotplug registers of bus 0.</summary>
    public AcpiPciHotplug PciHotplug { get; }

    /// <summary>
    /// System reset of every chip, as QEMU's pc machine resets its devices: each goes back to its
    /// power-on registers (<see cref="IResettable"/>), PCI functions' configuration spaces included
    /// (so every BAR stops decoding), pending ACPI unplugs complete and GPE0 clears. Guest RAM, CMOS
    /// RAM and the RTC's time survive, as on a real board.
    /// </summary>
    public void Reset()
    {
        foreach (var chip in ResettableChips())
        {
            chip.Reset();
        }

        PciConfig.Reset();
        PciBus.Reset();
        PciHotplug.Reset();
        AcpiGpe.Reset();
    }

    string? IMachineDevice.HotUnplugRefusal => NotHotpluggable;

    void IMachineDevice.Install(DeviceHooks hooks)
    {
        ArgumentNullException.ThrowIfNull(hooks);

        // Claimed on the bus directly, not recorded through the hooks: the machine never removes its chip set,
        // so there is nothing for removal to give back.
        RegisterPorts(hooks.Machine.Ports);
    }

    void IMachineDevice.Reset(ResetKind kind) => Reset();

    /// <summary>No chip parks work while the machine is paused.</summary>
    void IMachineDevice.Resume()
    {
    }

    /// <summary>Never called: the machine refuses to remove its chip set.</summary>
    void IMachineDevice.Remove()
    {
    }

    private IEnumerable<IResettable> ResettableChips() => [Pic, IoApic, Pit, PortB, Cmos, Com1, Keyboard, PortA, Vga, FwCfg, Dma];

    /// <summary>Claims every chip's ports on <paramref name="bus"/>; call before <see cref="IoPortBus.Freeze"/>.</summary>
    public void RegisterPorts(IoPortBus bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        Dma.RegisterPorts(bus);
        Pic.RegisterPorts(bus);
        Pit.RegisterPorts(bus);
        Keyboard.RegisterPorts(bus);
        PortB.RegisterPorts(bus);
        Cmos.RegisterPorts(bus);
        PortA.RegisterPorts(bus);
        DebugConsole.RegisterPorts(bus);
        DebugExit.RegisterPorts(bus);
        PostCode.RegisterPorts(bus);
        FwCfg.RegisterPorts(bus);
        if (_hasVga)
        {
            Vga.RegisterPorts(bus);
        }

        if (_hasCom1)
        {
            Com1.RegisterPorts(bus);
        }

        PciConfig.RegisterPorts(bus);
        PciIoWindow.RegisterPorts(bus);
        AcpiGpe.RegisterPorts(bus);
        PciHotplug.RegisterPorts(bus);
        PowerManagement.RegisterPorts(bus);
    }
}
