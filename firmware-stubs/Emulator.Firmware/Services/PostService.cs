using Emulator.Firmware.Disks;
using Emulator.Firmware.Hardware;
using Emulator.Firmware.Rom;

namespace Emulator.Firmware.Services;

/// <summary>
/// Power-on self test, run once from the ROM: fills the interrupt vector table and BIOS data area,
/// programs the PICs (vectors 08h and 70h), the PIT (18.2 Hz tick), the keyboard controller and the
/// text screen — all through ports and memory. Memory sizes come from CMOS, as on a real PC.
/// </summary>
internal sealed class PostService(FirmwareContext context, DiskSystem disks)
{
    private const byte FloppyVector = 0x0E;
    private const byte PrimaryIdeVector = 0x76;
    private const byte SecondaryIdeVector = 0x77;
    private readonly ServiceSequence _sequence = new();

    public bool Running => _sequence.Running;

    public BiosServiceResult Handle() => _sequence.Run(Run);

    private const int VectorCount = 256;
    private const byte MasterBase = 0x08;
    private const byte SlaveBase = 0x70;
    private const ushort MasterCommand = 0x20;
    private const ushort MasterData = 0x21;
    private const ushort SlaveCommand = 0xA0;
    private const ushort SlaveData = 0xA1;
    private const byte Icw1Edge4 = 0x11;
    private const byte Icw3MasterCascade = 0x04;
    private const byte Icw3SlaveId = 0x02;
    private const byte Icw4Mode8086 = 0x01;

    /// <summary>Unmasked at boot: IRQ0 timer, 1 keyboard, 2 cascade, 6 floppy; on the slave 14 and 15 (IDE).</summary>
    private const byte MasterMask = 0xB8;
    private const byte SlaveMask = 0x3F;
    private const ushort PitControl = 0x43;
    private const ushort PitChannel0 = 0x40;
    private const byte PitChannel0Mode3 = 0x36;
    private const ushort KbcCommand = 0x64;
    private const ushort KbcData = 0x60;
    private const byte KbcWriteCommandByte = 0x60;

    /// <summary>Keyboard interrupt, system flag, mouse disabled, set-1 translation.</summary>
    private const byte KbcCommandByte = 0x65;
    private const ushort Com1 = 0x3F8;
    private const ushort EquipmentColor80 = 0x0020;
    private const ushort EquipmentFloppyPresent = 0x0001;
    private const int EquipmentFloppyCountShift = 6;
    private const ushort EquipmentOneSerial = 0x0200;
    private const byte TextMode = 0x03;
    private const byte CursorStartLine = 0x0D;
    private const byte CursorEndLine = 0x0E;
    private const byte DisketteVector = 0x1E;
    private const byte UserTickVector = 0x1C;

    private IEnumerable<BiosServiceResult> Run()
    {
        var memory = context.Memory;
        for (var vector = 0; vector < VectorCount; vector++)
        {
            SetVector(vector, BiosLayout.DefaultHandler);
        }

        for (var irq = 0; irq < 8; irq++)
        {
            SetVector(MasterBase + irq, BiosLayout.MasterIrqHandler);
            SetVector(SlaveBase + irq, BiosLayout.SlaveIrqHandler);
        }

        SetVector(MasterBase, BiosLayout.TimerHandler);
        foreach (var service in Enum.GetValues<BiosService>())
        {
            if (service != BiosService.Post)
            {
                SetVector((int)service, BiosLayout.StubOffset(service));
            }
        }

        SetVector(UserTickVector, BiosLayout.DefaultHandler);
        SetVector(FloppyVector, BiosLayout.FloppyIrqHandler);
        SetVector(PrimaryIdeVector, BiosLayout.HardDiskIrqHandler);
        SetVector(SecondaryIdeVector, BiosLayout.HardDiskIrqHandler);
        SetVector(DisketteVector, BiosLayout.DisketteParameterTable);

        memory.Write(Bda.Base, new byte[0x100]);
        memory.WriteWord(Bda.ComPorts, Com1);
        memory.WriteWord(Bda.EbdaSegment, Bda.Ebda);
        memory.WriteWord(Bda.BaseMemoryKb, Bda.BaseMemory);
        memory.WriteWord(Bda.KeyboardHead, Bda.KeyboardBufferFirst);
        memory.WriteWord(Bda.KeyboardTail, Bda.KeyboardBufferFirst);
        memory.WriteWord(Bda.KeyboardBufferStart, Bda.KeyboardBufferFirst);
        memory.WriteWord(Bda.KeyboardBufferEnd, Bda.KeyboardBufferLimit);
        memory.WriteByte((uint)(Bda.Ebda << 4), 1);

        var floppies = FloppyCount();
        var equipment = (ushort)(EquipmentColor80 | EquipmentOneSerial);
        if (floppies > 0)
        {
            equipment |= (ushort)(EquipmentFloppyPresent | ((floppies - 1) << EquipmentFloppyCountShift));
        }

        memory.WriteWord(Bda.Equipment, equipment);

        InitPics();
        InitPit();
        InitKeyboardController();
        VideoService.SetMode(context, TextMode);
        context.Console.SetCursorShape(CursorStartLine, CursorEndLine);
        context.Print(context.Options.Banner + "\n\n");

        // The drives (IDENTIFY waits for the disks' interrupts, so POST runs on with interrupts let in).
        foreach (var wait in disks.Detect())
        {
            yield return wait;
        }
    }

    private int FloppyCount()
    {
        var types = context.Cmos.Read(CmosPorts.FloppyTypes);
        return ((types >> 4) != 0 ? 1 : 0) + ((types & 0x0F) != 0 ? 1 : 0);
    }

    private void SetVector(int vector, ushort offset)
    {
        context.Memory.WriteWord((uint)vector * 4, offset);
        context.Memory.WriteWord(((uint)vector * 4) + 2, BiosLayout.Segment);
    }

    private void InitPics()
    {
        var ports = context.Ports;
        ports.WriteByte(MasterCommand, Icw1Edge4);
        ports.WriteByte(SlaveCommand, Icw1Edge4);
        ports.WriteByte(MasterData, MasterBase);
        ports.WriteByte(SlaveData, SlaveBase);
        ports.WriteByte(MasterData, Icw3MasterCascade);
        ports.WriteByte(SlaveData, Icw3SlaveId);
        ports.WriteByte(MasterData, Icw4Mode8086);
        ports.WriteByte(SlaveData, Icw4Mode8086);
        ports.WriteByte(MasterData, MasterMask);
        ports.WriteByte(SlaveData, SlaveMask);
    }

    private void InitPit()
    {
        // Count 0 = 65536: 1193182 Hz / 65536 = 18.2 ticks per second.
        context.Ports.WriteByte(PitControl, PitChannel0Mode3);
        context.Ports.WriteByte(PitChannel0, 0);
        context.Ports.WriteByte(PitChannel0, 0);
    }

    private void InitKeyboardController()
    {
        context.Ports.WriteByte(KbcCommand, KbcWriteCommandByte);
        context.Ports.WriteByte(KbcData, KbcCommandByte);
    }
}
