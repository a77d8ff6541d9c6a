using System.Reflection;
using Emulator.Block;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.NullCo;
using Emulator.Board;
using Emulator.Devices.Floppy;
using Emulator.Devices.Ide;
using Emulator.Devices.Virtio;
using Emulator.Machine.Bus;
using Emulator.Machine.Lifecycle;
using Emulator.Machine.Loop;
using Iced.Intel;
using Microsoft.Extensions.DependencyInjection;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Devices.Tests.Lifecycle;

/// <summary>
/// The one device lifecycle (<see cref="IMachineDevice"/>) as every model follows it: installed through
/// <see cref="PcMachine.Install{T}"/>, removed through <see cref="PcMachine.Remove"/> with nothing left hooked
/// (ports float, the PCI slot is empty, the IRQ line is low, the backend is free, no handler stays on the machine),
/// and reached by every machine reset path.
/// </summary>
public class DeviceLifecycleTests
{
    // PC port map (IBM PC/AT technical reference; PIIX3 datasheet 2.7; 82078 datasheet).
    private const ushort IdePrimaryCommand = 0x1F0;
    private const ushort IdePrimaryDevice = 0x1F6;
    private const ushort IdePrimaryControl = 0x3F6;
    private const ushort IdeSecondaryCommand = 0x170;
    private const ushort IdeSecondaryControl = 0x376;
    private const int IdeCommandBlockPorts = 8;
    private const ushort FdcFirstPort = 0x3F1;
    private const int FdcLowPorts = 5;
    private const ushort FdcDigitalOutput = 0x3F2;
    private const ushort FdcDigitalInput = 0x3F7;
    private const int IdeIrqPrimary = 14;
    private const int IdeIrqSecondary = 15;
    private const int FdcIrq = 6;
    private const int IdeSlot = 1;
    private const int IdeFunction = 1;
    private const int VirtioSlot = 5;
    private const byte CmosFloppyTypes = 0x10;

    // Reset paths (8042 command FEh, port 92h bit 0, PIIX3 reset control register CF9h).
    private const ushort KbcCommand = 0x64;
    private const byte KbcPulseReset = 0xFE;
    private const ushort PortA = 0x92;
    private const byte PortAFastReset = 0x01;
    private const ushort ResetControl = 0xCF9;
    private const byte ResetControlHardReset = 0x06;

    // PCI configuration mechanism #1 and the command register's I/O, memory and bus master enables.
    private const ushort ConfigAddress = 0xCF8;
    private const ushort ConfigData = 0xCFC;
    private const uint ConfigEnable = 0x8000_0000;
    private const int CommandRegister = 0x04;
    private const ushort IoMemoryBusMaster = 0x07;
    private const byte SelectSlave = 0xB0;
    private const byte MotorAEnabled = 0x1C;
    private const uint GuestCode = 0x10000;
    private const uint EmptyIdt = 0x600;
    private const int TripleFaultInstructions = 10;

    private ServiceProvider _services = null!;
    private BlockLayer _layer = null!;
    private PcMachine _machine = null!;

    [SetUp]
    public void SetUp()
    {
        _services = new ServiceCollection().AddBlockLayer().AddStandardBlockDrivers().BuildServiceProvider();
        _layer = _services.GetRequiredService<BlockLayer>();
        _machine = new PcMachine(new PcMachineOptions { RunCpu = false, RamSize = 8 << 20, Idle = IdleMode.Skip });
        PcBoard.ConnectBlockLayer(_machine, _layer);
    }

    [TearDown]
    public void TearDown() => _services.Dispose();

    [Test]
    public void InstallRemove_Ide_NothingStaysHooked()
    {
        var handlers = StateChangedHandlers();
        var ide = _machine.Install(new Piix3Ide(_machine));
        var backend = Backend("hd0", 8 << 20);
        ide.AttachDisk(0, 0, backend);
        Assume.That(_machine.Ports.OwnerOf(IdePrimaryCommand), Is.Not.Null);

        _machine.Remove(ide);

        Assert.Multiple(() =>
        {
            Assert.That(OwnedPorts(IdePrimaryCommand, IdeCommandBlockPorts), Is.Empty);
            Assert.That(OwnedPorts(IdeSecondaryCommand, IdeCommandBlockPorts), Is.Empty);
            Assert.That(OwnedPorts(IdePrimaryControl, 1).Concat(OwnedPorts(IdeSecondaryControl, 1)), Is.Empty);
            Assert.That(_machine.Chipset.PciBus.GetFunction(IdeSlot, IdeFunction), Is.Null);
            Assert.That(_machine.Chipset.IrqLines[IdeIrqPrimary].Level || _machine.Chipset.IrqLines[IdeIrqSecondary].Level, Is.False);
            Assert.That(backend.HasDevice, Is.False);
            Assert.That(_machine.Devices, Has.No.Member(ide));
            Assert.That(StateChangedHandlers(), Is.EqualTo(handlers));
        });
    }

    [Test]
    public void InstallRemove_Floppy_NothingStaysHooked()
    {
        var handlers = StateChangedHandlers();
        var fdc = _machine.Install(new FloppyController(_machine));
        var backend = Backend("floppy0", 1_474_560);
        fdc.AttachDrive(0, backend);
        Assume.That(_machine.Chipset.Cmos.GetByte(CmosFloppyTypes), Is.Not.Zero);

        _machine.Remove(fdc);

        Assert.Multiple(() =>
        {
            Assert.That(OwnedPorts(FdcFirstPort, FdcLowPorts).Concat(OwnedPorts(FdcDigitalInput, 1)), Is.Empty);
            Assert.That(_machine.Chipset.IrqLines[FdcIrq].Level, Is.False);
            Assert.That(backend.HasDevice, Is.False);
            Assert.That(_machine.Chipset.Cmos.GetByte(CmosFloppyTypes), Is.Zero, "no drive types left in CMOS");
            Assert.That(_machine.Devices, Has.No.Member(fdc));
            Assert.That(StateChangedHandlers(), Is.EqualTo(handlers));
        });
    }

    [Test]
    public void InstallRemove_VirtioBlkOnRunningMachine_NothingStaysHooked()
    {
        var handlers = StateChangedHandlers();
        _machine.Start();
        var backend = Backend("vda", 1 << 20);
        var virtio = _machine.Install(new VirtioBlkPci(_machine, backend, new VirtioBlkOptions { PciSlot = VirtioSlot }));
        Assume.That(_machine.Chipset.PciBus.GetFunction(VirtioSlot, 0), Is.SameAs(virtio));

        _machine.Remove(virtio);

        Assert.Multiple(() =>
        {
            Assert.That(_machine.Chipset.PciBus.GetFunction(VirtioSlot, 0), Is.Null);
            Assert.That(ConfigRead(VirtioSlot, 0, 0), Is.EqualTo(uint.MaxValue), "the empty slot floats");
            Assert.That(backend.HasDevice, Is.False);
            Assert.That(virtio.IsUnplugged, Is.True);
            Assert.That(_machine.Devices, Has.No.Member(virtio));
            Assert.That(StateChangedHandlers(), Is.EqualTo(handlers));
        });
    }

    [TestCase(typeof(Piix3Ide), "Device 'piix3-ide' does not support hotplugging")]
    [TestCase(typeof(FloppyController), "Bus 'isa.0' does not support hotplugging")]
    public void Remove_FixedDeviceFromRunningMachine_RefusedAndStaysHooked(Type model, string message)
    {
        IMachineDevice device = model == typeof(Piix3Ide) ? _machine.Install(new Piix3Ide(_machine)) : _machine.Install(new FloppyController(_machine));
        _machine.Start();

        Assert.Multiple(() =>
        {
            Assert.That(() => _machine.Remove(device), Throws.InvalidOperationException.With.Message.EqualTo(message));
            Assert.That(_machine.Devices, Has.Member(device));
        });
    }

    [Test]
    public void Remove_Chipset_Refused()
    {
        Assert.That(() => _machine.Remove(_machine.Chipset), Throws.InvalidOperationException);
    }

    [Test]
    public void Install_SlotTaken_NothingStaysHooked()
    {
        var backend = Backend("vda", 1 << 20);
        var virtio = new VirtioBlkPci(_machine, backend, new VirtioBlkOptions { PciSlot = IdeSlot, PciFunctionNumber = IdeFunction });
        _machine.Install(new Piix3Ide(_machine));

        Assert.Multiple(() =>
        {
            Assert.That(() => _machine.Install(virtio), Throws.InvalidOperationException);
            Assert.That(_machine.Devices, Has.No.Member(virtio));
            Assert.That(_machine.Chipset.PciBus.GetFunction(IdeSlot, IdeFunction), Is.Not.SameAs(virtio));
        });
    }

    [Test]
    public void StorageDevices_BoardControllers_InstalledThroughTheLifecycle()
    {
        var storage = new StorageDevices(_machine);
        var virtio = storage.AddVirtio(Backend("vda", 1 << 20), new VirtioBlkOptions());

        Assert.That(_machine.Devices, Is.EqualTo(new IMachineDevice[] { _machine.Chipset, storage.Ide, storage.Floppy, virtio }));
    }

    [TestCase("monitor", ResetKind.Cold)]
    [TestCase("8042", ResetKind.Warm)]
    [TestCase("port92", ResetKind.Warm)]
    [TestCase("cf9", ResetKind.Warm)]
    public void Reset_EveryPath_ReachesEveryDeviceWithItsKind(string path, ResetKind kind)
    {
        var storage = new StorageDevices(_machine);
        storage.AttachIde(0, Backend("hd0", 8 << 20), cdrom: false, "ide0-hd0");
        storage.AttachFloppy(0, Backend("floppy0", 1_474_560), "floppy0");
        storage.AddVirtio(Backend("vda", 1 << 20), new VirtioBlkOptions { PciSlot = VirtioSlot });
        var probe = _machine.Install(new ResetProbe());
        bool? guest = null;
        _machine.ResetDone += g => guest = g;
        _machine.Start();
        var powerOn = Registers();
        Program();
        Assume.That(Registers(), Is.Not.EqualTo(powerOn), "programming must change what the registers read");

        Pull(path);
        _machine.Run(RunLimits.UntilIdle);

        Assert.Multiple(() =>
        {
            Assert.That(Registers(), Is.EqualTo(powerOn));
            Assert.That(probe.Resets, Is.EqualTo(new[] { kind }));
            Assert.That(guest, Is.EqualTo(kind == ResetKind.Warm), "the RESET event's guest flag");
        });
    }

    [Test]
    public void Reset_TripleFault_ReachesEveryDeviceAsWarm()
    {
        var machine = new PcMachine(new PcMachineOptions { RamSize = 8 << 20, Idle = IdleMode.Skip });
        var fdc = machine.Install(new FloppyController(machine));
        var probe = machine.Install(new ResetProbe());
        var a = new Assembler(16);

        // Start the floppy motor, then fault in protected mode with an empty IDT: #GP, #DF, shutdown.
        a.mov(dx, FdcDigitalOutput);
        a.mov(al, MotorAEnabled);
        a.@out(dx, al);
        a.lidt(__[EmptyIdt]);
        a.mov(eax, cr0);
        a.or(al, 1);
        a.mov(cr0, eax);
        a.@int(0x21);
        a.hlt();
        using var code = new MemoryStream();
        a.Assemble(new StreamCodeWriter(code), 0);
        machine.Memory.Write(GuestCode, code.ToArray());
        machine.Memory.Write(EmptyIdt, new byte[6]);
        machine.Start();
        var powerOnDor = machine.Ports.ReadByte(FdcDigitalOutput);
        machine.Cpu.Registers.CS = (ushort)(GuestCode >> 4);
        machine.Cpu.Registers.EIP = 0;

        machine.Run(RunLimits.Instructions(TripleFaultInstructions));

        Assert.Multiple(() =>
        {
            Assert.That(probe.Resets, Is.EqualTo(new[] { ResetKind.Warm }));
            Assert.That(machine.Ports.ReadByte(FdcDigitalOutput), Is.EqualTo(powerOnDor), "the floppy controller was reset too");
            Assert.That(machine.Devices, Has.Member(fdc));
        });
    }

    [Test]
    public void Resume_AfterPause_ReachesEveryDevice()
    {
        var probe = _machine.Install(new ResetProbe());
        _machine.Start();
        _machine.RequestPause(MachineRunState.IoError);
        _machine.Run(RunLimits.UntilIdle);

        _machine.Resume();
        _machine.Run(RunLimits.UntilIdle);

        Assert.That(probe.Resumes, Is.EqualTo(1));
    }

    private void Pull(string path)
    {
        switch (path)
        {
            case "monitor":
                _machine.ResetFromMonitor();
                break;
            case "8042":
                _machine.Ports.WriteByte(KbcCommand, KbcPulseReset);
                break;
            case "port92":
                _machine.Ports.WriteByte(PortA, PortAFastReset);
                break;
            default:
                _machine.Ports.WriteByte(ResetControl, ResetControlHardReset);
                break;
        }
    }

    /// <summary>Guest-visible registers of each model that a reset puts back: PCI command registers, the IDE device register, the FDC's DOR.</summary>
    private (uint Ide, uint Virtio, byte IdeDevice, byte Dor) Registers() =>
        (ConfigRead(IdeSlot, IdeFunction, CommandRegister), ConfigRead(VirtioSlot, 0, CommandRegister),
            _machine.Ports.ReadByte(IdePrimaryDevice), _machine.Ports.ReadByte(FdcDigitalOutput));

    private void Program()
    {
        ConfigWrite(IdeSlot, IdeFunction, CommandRegister, IoMemoryBusMaster);
        ConfigWrite(VirtioSlot, 0, CommandRegister, IoMemoryBusMaster);
        _machine.Ports.WriteByte(IdePrimaryDevice, SelectSlave);
        _machine.Ports.WriteByte(FdcDigitalOutput, MotorAEnabled);
    }

    private uint ConfigRead(int slot, int function, int offset)
    {
        _machine.Ports.Write(ConfigAddress, PortWidth.Dword, Address(slot, function, offset));
        return _machine.Ports.Read(ConfigData, PortWidth.Word) | (_machine.Ports.Read(ConfigData + 2, PortWidth.Word) << 16);
    }

    private void ConfigWrite(int slot, int function, int offset, ushort value)
    {
        _machine.Ports.Write(ConfigAddress, PortWidth.Dword, Address(slot, function, offset));
        _machine.Ports.Write(ConfigData, PortWidth.Word, value);
    }

    private static uint Address(int slot, int function, int offset) => ConfigEnable | ((uint)slot << 11) | ((uint)function << 8) | (uint)offset;

    private BlockBackend Backend(string name, long size) =>
        _layer.CreateBackend(new BlockBackendOptions { Name = name }, new NullNodeOptions { Size = size });

    private List<int> OwnedPorts(ushort first, int count) =>
        Enumerable.Range(first, count).Where(p => _machine.Ports.OwnerOf((ushort)p) is not null).ToList();

    /// <summary>How many handlers the machine's StateChanged event holds (devices must leave none behind).</summary>
    private int StateChangedHandlers() =>
        (typeof(PcMachine).GetField(nameof(PcMachine.StateChanged), BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(_machine) as Delegate)
            ?.GetInvocationList().Length ?? 0;

    /// <summary>An implementer that records what the machine tells it, installed last.</summary>
    private sealed class ResetProbe : IMachineDevice
    {
        public List<ResetKind> Resets { get; } = [];

        public int Resumes { get; private set; }

        public string? HotUnplugRefusal => null;

        public void Install(DeviceHooks hooks)
        {
        }

        public void Reset(ResetKind kind) => Resets.Add(kind);

        public void Resume() => Resumes++;

        public void Remove()
        {
        }
    }
}
