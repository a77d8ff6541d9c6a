using Emulator.Firmware.Hardware;
using Emulator.Firmware.Rom;
using Emulator.Machine.Cpu;

namespace Emulator.Firmware.Services;

/// <summary>
/// INT 15h: extended memory size (AH=88h, AX=E801h from CMOS), the E820h memory map, the A20 gate
/// (AX=2400h–2403h through port 92h), the configuration table (AH=C0h), the keyboard intercept
/// (AH=4Fh), device busy/post hooks (AH=90h/91h) and the wait (AH=86h). Anything else: CF set, AH=86h (unsupported).
/// </summary>
internal sealed class SystemService(FirmwareContext context)
{
    private const byte Unsupported = 0x86;
    private const uint Smap = 0x534D4150;
    private const int E820EntrySize = 20;
    private const uint Usable = 1;
    private const uint Reserved = 2;
    private const ushort FastA20Port = 0x92;
    private const byte FastA20Bit = 0x02;
    private const uint ExtendedBiosDataArea = 0x9FC00;
    private const uint IoApicBase = 0xFEC00000;
    private const uint BiosAlias = 0xFFFC0000;

    private const uint MicrosecondsPerTick = 54925;
    private readonly ServiceSequence _wait = new();

    public BiosServiceResult Handle(BiosCall call)
    {
        if (call.AH == 0x86 || _wait.Running)
        {
            return _wait.Run(() => Wait(call));
        }

        var registers = call.Registers;
        switch (call.AH)
        {
            case 0x88:
                call.AX = (ushort)Math.Min(0xFFFF, ExtendedKb());
                call.Ok();
                break;
            case 0xE8 when call.AL == 0x01:
            {
                var kb = ExtendedKb();
                var below16 = (ushort)Math.Min(0x3C00u, kb);
                var above16 = (ushort)Math.Min(0xFFFFu, kb > 0x3C00 ? (kb - 0x3C00) / 64 : 0);
                call.AX = below16;
                call.CX = below16;
                registers.BX = above16;
                call.DX = above16;
                call.Ok();
                break;
            }

            case 0xE8 when call.AL == 0x20 && call.EDX == Smap:
                MemoryMap(call);
                break;
            case 0x24:
                A20(call);
                break;
            case 0xC0:
                registers.ES = BiosLayout.Segment;
                registers.BX = BiosLayout.ConfigurationTable;
                call.Ok(0);
                break;
            case 0x4F:
                // Keyboard intercept: let the BIOS process the scan code.
                call.Carry = true;
                break;
            case 0x90:
            case 0x91:
                call.Ok(0);
                break;
            default:
                call.Fail(Unsupported);
                break;
        }

        return BiosServiceResult.Done;
    }

    /// <summary>
    /// AH=86h: wait CX:DX microseconds with interrupts let in. Time is kept by the BIOS tick, so a wait
    /// lasts whole ticks (55 ms), at least one for any wait of a millisecond or more.
    /// </summary>
    private IEnumerable<BiosServiceResult> Wait(BiosCall call)
    {
        var microseconds = ((uint)call.CX << 16) | call.DX;
        call.Ok(0);
        if (microseconds < 1000)
        {
            yield break;
        }

        var ticks = (microseconds + MicrosecondsPerTick - 1) / MicrosecondsPerTick;
        var start = context.Memory.ReadDword(Bda.Ticks);
        while (unchecked(context.Memory.ReadDword(Bda.Ticks) - start) < ticks)
        {
            yield return BiosServiceResult.WaitForInterrupt;
        }
    }

    /// <summary>Usable memory above 1 MiB in KiB: up to the firmware's zone at the top of RAM.</summary>
    private uint ExtendedKb() => (FirmwareMemory.HighZone(context.Cmos) - FirmwareMemory.OneMegabyte) >> 10;

    /// <summary>One E820h entry per call: EBX is the continuation (0 at the end), ES:DI the 20-byte buffer.</summary>
    private void MemoryMap(BiosCall call)
    {
        var registers = call.Registers;
        (ulong Base, ulong Length, uint Type)[] map =
        [
            (0, ExtendedBiosDataArea, Usable),
            (ExtendedBiosDataArea, 0xA0000 - ExtendedBiosDataArea, Reserved),
            (0xF0000, 0x10000, Reserved),
            (FirmwareMemory.OneMegabyte, FirmwareMemory.HighZone(context.Cmos) - FirmwareMemory.OneMegabyte, Usable),
            (FirmwareMemory.HighZone(context.Cmos), FirmwareMemory.HighZoneSize, Reserved),
            (IoApicBase, 0x1000, Reserved),
            (BiosAlias, 0x40000, Reserved),
        ];
        var index = registers.EBX;
        if (index >= map.Length || registers.ECX < E820EntrySize)
        {
            call.Fail(Unsupported);
            return;
        }

        var buffer = registers.GetSegment(SegmentRegister.ES).Base + registers.DI;
        var entry = map[index];
        context.Memory.WriteDword(buffer, (uint)entry.Base);
        context.Memory.WriteDword(buffer + 4, (uint)(entry.Base >> 32));
        context.Memory.WriteDword(buffer + 8, (uint)entry.Length);
        context.Memory.WriteDword(buffer + 12, (uint)(entry.Length >> 32));
        context.Memory.WriteDword(buffer + 16, entry.Type);
        call.EAX = Smap;
        registers.ECX = E820EntrySize;
        registers.EBX = index + 1 < map.Length ? index + 1 : 0;
        call.Ok();
    }

    private void A20(BiosCall call)
    {
        var ports = context.Ports;
        var control = ports.ReadByte(FastA20Port);
        switch (call.AL)
        {
            case 0x00:
                ports.WriteByte(FastA20Port, (byte)(control & ~FastA20Bit));
                call.Ok(0);
                break;
            case 0x01:
                ports.WriteByte(FastA20Port, (byte)(control | FastA20Bit));
                call.Ok(0);
                break;
            case 0x02:
                call.AL = (byte)((control & FastA20Bit) != 0 ? 1 : 0);
                call.Ok(0);
                break;
            case 0x03:
                // Supported through port 92h.
                call.Registers.BX = 0x0002;
                call.Ok(0);
                break;
            default:
                call.Fail(Unsupported);
                break;
        }
    }
}
