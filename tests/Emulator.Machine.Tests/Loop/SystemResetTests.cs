using Emulator.Machine.Bus;
using Emulator.Machine.Loop;
using Emulator.Machine.Pci;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Loop;

/// <summary>
/// A system reset — from the 8042, port 92h, port CF9h, a triple fault or the monitor — puts every
/// chip back to its power-on registers, read through the guest's ports and memory, as QEMU's pc
/// machine does; CMOS RAM and guest RAM survive.
/// </summary>
public class SystemResetTests
{
    private const ushort PicMasterCommand = 0x20;
    private const ushort PicMasterData = 0x21;
    private const ushort PicSlaveCommand = 0xA0;
    private const ushort PicSlaveData = 0xA1;
    private const ushort ElcrMaster = 0x4D0;
    private const ushort ElcrSlave = 0x4D1;
    private const ushort PitCounter0 = 0x40;
    private const ushort PitControl = 0x43;
    private const byte PitReadBackStatusAll = 0xEE;
    private const ushort PortB = 0x61;
    private const byte PortBStoredBits = 0x0F;
    private const ushort KbcData = 0x60;
    private const ushort KbcCommand = 0x64;
    private const byte KbcReadCommandByte = 0x20;
    private const byte KbcWriteCommandByte = 0x60;
    private const byte KbcPulseReset = 0xFE;
    private const ushort CmosIndex = 0x70;
    private const ushort CmosData = 0x71;
    private const byte CmosStatusB = 0x0B;
    private const byte CmosShutdown = 0x0F;
    private const byte CmosScratch = 0x38;
    private const ushort PortA = 0x92;
    private const byte PortAFastReset = 0x01;
    private const ushort Com1 = 0x3F8;
    private const ushort DmaFirstAllMask = 0x0F;
    private const ushort DmaSecondAllMask = 0xDE;
    private const ushort CrtcIndex = 0x3D4;
    private const ushort CrtcData = 0x3D5;
    private const byte CrtcCursorStart = 0x0A;
    private const ushort ConfigAddress = 0xCF8;
    private const ushort ConfigData = 0xCFC;
    private const ushort ResetControl = 0xCF9;
    private const byte ResetControlHardReset = 0x06;
    private const int TestSlot = 7;
    private const int Bar0 = 0x10;
    private const int CommandRegister = 0x04;
    private const uint BarBase = 0xE000_0000;
    private const uint IoApicBase = 0xFEC0_0000;
    private const uint IoApicWindow = IoApicBase + 0x10;
    private const byte IoApicFirstRedirection = 0x10;

    private PcMachine _machine = null!;
    private MmioFunction _function = null!;

    private sealed class MmioFunction : PciFunction
    {
        public MmioFunction()
            : base(0x1234, 0x5678, 0xFF_00_00)
        {
            AddMemoryBar(0, 0x1000);
        }

        public override ulong MemoryRead(int bar, ulong offset, int size) => 0xC0DE;
    }

    [SetUp]
    public void SetUp()
    {
        _machine = new PcMachine(new PcMachineOptions { RunCpu = false, RtcStartTime = new DateTime(2026, 1, 1) });
        _function = new MmioFunction();
        _machine.Chipset.PciBus.Register(TestSlot, 0, _function);
        _machine.Start();
    }

    [TestCase(KbcCommand, KbcPulseReset, TestName = "Reset_Kbc8042PulseResetLine_EveryChipReadsPowerOnValues")]
    [TestCase(PortA, PortAFastReset, TestName = "Reset_Port92FastReset_EveryChipReadsPowerOnValues")]
    [TestCase(ResetControl, ResetControlHardReset, TestName = "Reset_PortCf9HardReset_EveryChipReadsPowerOnValues")]
    public void Reset_GuestResetLine_EveryChipReadsPowerOnValues(int port, int value)
    {
        var powerOn = ReadRegisters();
        ProgramEveryChip();
        Assume.That(ReadRegisters(), Is.Not.EqualTo(powerOn), "programming must change what the registers read");

        _machine.Ports.WriteByte((ushort)port, (byte)value);
        _machine.Run(RunLimits.UntilIdle);

        Assert.That(ReadRegisters(), Is.EqualTo(powerOn));
    }

    [Test]
    public void Reset_FromMonitor_EveryChipReadsPowerOnValues()
    {
        var powerOn = ReadRegisters();
        ProgramEveryChip();

        _machine.RequestReset();
        _machine.Run(RunLimits.UntilIdle);

        Assert.That(ReadRegisters(), Is.EqualTo(powerOn));
    }

    [Test]
    public void Reset_ProgrammedMemoryBar_StopsDecoding()
    {
        Config(Bar0, BarBase);
        Config(CommandRegister, 0x2);
        Assume.That(_machine.Memory.ReadDword(BarBase), Is.EqualTo(0xC0DEu));

        _machine.RequestReset();
        _machine.Run(RunLimits.UntilIdle);

        Assert.That(_machine.Memory.ReadDword(BarBase), Is.EqualTo(uint.MaxValue));
    }

    [Test]
    public void Reset_CmosRamAndGuestRam_Survive()
    {
        WriteCmos(CmosScratch, 0x5A);
        _machine.Memory.WriteDword(0x1000, 0xFEEDF00D);

        _machine.RequestReset();
        _machine.Run(RunLimits.UntilIdle);

        Assert.That((ReadCmos(CmosScratch), _machine.Memory.ReadDword(0x1000)), Is.EqualTo(((byte)0x5A, 0xFEEDF00Du)));
    }

    [Test]
    public void Reset_A20DisabledByGuest_IsEnabledAgain()
    {
        _machine.Ports.WriteByte(PortA, 0x00);
        Assume.That(_machine.Memory.A20Enabled, Is.False);

        _machine.RequestReset();
        _machine.Run(RunLimits.UntilIdle);

        Assert.That(_machine.Memory.A20Enabled, Is.True);
    }

    [Test]
    public void TripleFault_InProtectedMode_ResetsTheChipsetToo()
    {
        var machine = new PcMachine(new PcMachineOptions { Idle = IdleMode.Skip, RtcStartTime = new DateTime(2026, 1, 1) });
        var a = new Assembler(16);

        // Program the master PIC's mask, then fault in protected mode with an empty IDT: #GP, #DF, shutdown.
        a.mov(al, 0x5A);
        a.@out((byte)PicMasterData, al);
        a.lidt(__[0x600]);
        a.mov(eax, cr0);
        a.or(al, 1);
        a.mov(cr0, eax);
        a.@int(0x21);
        a.hlt();
        using var code = new MemoryStream();
        a.Assemble(new StreamCodeWriter(code), 0);
        machine.Memory.Write(0x10000, code.ToArray());
        machine.Memory.Write(0x600, new byte[6]);
        machine.Start();
        machine.Cpu.Registers.CS = 0x1000;
        machine.Cpu.Registers.EIP = 0;

        machine.Run(RunLimits.Instructions(7));

        Assert.That((machine.Ports.ReadByte(PicMasterData), machine.Cpu.Registers.EIP), Is.EqualTo(((byte)0, 0xFFF0u)));
    }

    /// <summary>What the guest reads from each chip, by name (side-effect-free reads, or reads the dump undoes).</summary>
    private Dictionary<string, uint> ReadRegisters()
    {
        var ports = _machine.Ports;
        var r = new Dictionary<string, uint>
        {
            ["pic.master.imr"] = ports.ReadByte(PicMasterData),
            ["pic.slave.imr"] = ports.ReadByte(PicSlaveData),
            ["pic.elcr"] = (uint)(ports.ReadByte(ElcrMaster) | (ports.ReadByte(ElcrSlave) << 8)),
        };
        ports.WriteByte(PicMasterCommand, 0x0B);
        r["pic.master.isr"] = ports.ReadByte(PicMasterCommand);
        ports.WriteByte(PicMasterCommand, 0x0A);

        ports.WriteByte(PitControl, PitReadBackStatusAll);
        for (var i = 0; i < 3; i++)
        {
            r[$"pit.{i}.status"] = ports.ReadByte((ushort)(PitCounter0 + i));
        }

        r["portb"] = (uint)(ports.ReadByte(PortB) & PortBStoredBits);
        r["porta"] = ports.ReadByte(PortA);
        r["com1.ier"] = ports.ReadByte(Com1 + 1);
        r["com1.iir"] = ports.ReadByte(Com1 + 2);
        r["com1.lcr"] = ports.ReadByte(Com1 + 3);
        r["com1.mcr"] = ports.ReadByte(Com1 + 4);
        r["com1.scr"] = ports.ReadByte(Com1 + 7);
        r["dma.masks"] = (uint)(ports.ReadByte(DmaFirstAllMask) | (ports.ReadByte((ushort)(DmaSecondAllMask)) << 8));
        r["kbc.status"] = ports.ReadByte(KbcCommand);
        ports.WriteByte(KbcCommand, KbcReadCommandByte);
        r["kbc.commandbyte"] = ports.ReadByte(KbcData);
        r["cmos.b"] = ReadCmos(CmosStatusB);
        r["cmos.shutdown"] = ReadCmos(CmosShutdown);
        ports.WriteByte(CrtcIndex, CrtcCursorStart);
        r["vga.cursorstart"] = ports.ReadByte(CrtcData);
        r["ioapic.redirection0"] = ReadIoApic(IoApicFirstRedirection);
        for (var offset = 0; offset < PciFunction.ConfigSpaceSize; offset += 4)
        {
            r[$"pci.00.0.{offset:X2}"] = ReadConfig(0, offset);
            r[$"pci.01.0.{offset:X2}"] = ReadConfig(1, offset);
            r[$"pci.07.0.{offset:X2}"] = ReadConfig(TestSlot, offset);
        }

        return r;
    }

    private void ProgramEveryChip()
    {
        var ports = _machine.Ports;
        foreach (var (port, value) in new (ushort, byte)[]
        {
            (PicMasterCommand, 0x11), (PicMasterData, 0x08), (PicMasterData, 0x04), (PicMasterData, 0x01), (PicMasterData, 0xB8),
            (PicSlaveCommand, 0x11), (PicSlaveData, 0x70), (PicSlaveData, 0x02), (PicSlaveData, 0x01), (PicSlaveData, 0x3F),
            (ElcrMaster, 0x08), (ElcrSlave, 0x0C),
            (PitControl, 0x34), (PitCounter0, 0x34), (PitCounter0, 0x12), (PortB, 0x03),
            (Com1 + 1, 0x0F), (Com1 + 3, 0x03), (Com1 + 4, 0x0B), (Com1 + 7, 0x55),
            (DmaFirstAllMask, 0x00), (DmaSecondAllMask, 0x00),
            (KbcCommand, KbcWriteCommandByte), (KbcData, 0x47),
            (CrtcIndex, CrtcCursorStart), (CrtcData, 0x20),
        })
        {
            ports.WriteByte(port, value);
        }

        WriteCmos(CmosStatusB, 0x42);
        WriteCmos(CmosShutdown, 0x0A);
        _machine.Memory.WriteDword(IoApicBase, IoApicFirstRedirection);
        _machine.Memory.WriteDword(IoApicWindow, 0x31);
        WriteConfig(1, 0x60, 0x0A0B0A0B);
        WriteConfig(0, 0x58, 0x33333310);
        Config(Bar0, BarBase);
        Config(CommandRegister, 0x0106);
        Config(0x3C, 0x0B);
    }

    private uint ReadIoApic(byte register)
    {
        _machine.Memory.WriteDword(IoApicBase, register);
        return _machine.Memory.ReadDword(IoApicWindow);
    }

    private byte ReadCmos(byte index)
    {
        _machine.Ports.WriteByte(CmosIndex, index);
        return _machine.Ports.ReadByte(CmosData);
    }

    private void WriteCmos(byte index, byte value)
    {
        _machine.Ports.WriteByte(CmosIndex, index);
        _machine.Ports.WriteByte(CmosData, value);
    }

    private void Config(int offset, uint value) => WriteConfig(TestSlot, offset, value);

    private uint ReadConfig(int slot, int offset)
    {
        _machine.Ports.Write(ConfigAddress, PortWidth.Dword, 0x8000_0000u | ((uint)slot << 11) | (uint)offset);
        return _machine.Ports.Read(ConfigData, PortWidth.Dword);
    }

    private void WriteConfig(int slot, int offset, uint value)
    {
        _machine.Ports.Write(ConfigAddress, PortWidth.Dword, 0x8000_0000u | ((uint)slot << 11) | (uint)offset);
        _machine.Ports.Write(ConfigData, PortWidth.Dword, value);
    }
}
