using System.Text.Json;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Cli.Tests.Profile;

/// <summary>
/// A request's guest-side figures are exact to the instruction: a boot sector (assembled here) issues
/// READ SECTORS to the IDE disk by port writes with interrupts off, spends a known number of NOPs, then
/// reads the status register (the acknowledgement). The doorbell and the status read are port accesses in
/// the middle of one CPU slice, so a clock that moves once per slice stamps both with the same figures
/// (or with a slice boundary's) instead of the NOPs between them.
/// </summary>
public class IoTraceGuestTimeTests
{
    private const ushort Buffer = 0x1000;
    private const ushort AtaData = 0x1F0;
    private const ushort AtaSectorCount = 0x1F2;
    private const ushort AtaLbaLow = 0x1F3;
    private const ushort AtaDeviceHead = 0x1F6;
    private const ushort AtaCommandStatus = 0x1F7;
    private const byte DeviceZeroLba = 0xE0;
    private const byte ReadSectors = 0x20;
    private const ushort DebugExitPort = 0x501;
    private const byte DoneValue = 0x10;
    private const int DoneStatus = (DoneValue << 1) | 1;
    private const int Nops = 100;
    private const int NanosecondsPerInstruction = 10;

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-io-trace-guest-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Trace_StatusReadAfterNops_GuestInstructionsAndVirtualTimeCountTheNops()
    {
        var image = Path.Combine(_dir, "disk.img");
        var bytes = new byte[1 << 20];
        BootSector().CopyTo(bytes, 0);
        File.WriteAllBytes(image, bytes);
        var trace = Path.Combine(_dir, "trace.json");

        var status = EmuCommand.Run(
            ["boot", "--drive", $"file={image},if=ide,format=raw", "--io-trace", trace, "--timeout", "60"],
            new StringReader(string.Empty), new StringWriter(), new StringWriter());

        using var document = JsonDocument.Parse(File.ReadAllBytes(trace));
        // The BIOS read the boot sector through the same disk first; the guest's own request is the last.
        var span = document.RootElement.GetProperty("traceEvents").EnumerateArray()
            .Where(e => e.GetProperty("ph").GetString() == "e" && e.TryGetProperty("cat", out var cat) && cat.GetString() == "request")
            .Select(e => e.GetProperty("args"))
            .Last(a => a.GetProperty("device").GetString() == "ide.0");
        var stages = span.GetProperty("stages");
        var waited = stages.GetProperty("acknowledged").GetProperty("vns").GetInt64() - stages.GetProperty("doorbell").GetProperty("vns").GetInt64();

        // The OUT that rings the doorbell and the NOPs retire before the IN that reads the status.
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(DoneStatus));
            Assert.That(span.GetProperty("guest_instructions").GetInt64(), Is.EqualTo(Nops + 1));
            Assert.That(waited, Is.EqualTo((Nops + 1) * NanosecondsPerInstruction));
        });
    }

    /// <summary>READ SECTORS of LBA 1 by ports, <see cref="Nops"/> NOPs, a status read, the data drained, then isa-debug-exit.</summary>
    private static byte[] BootSector()
    {
        var a = new Assembler(16);
        var spin = a.CreateLabel();
        a.cli();
        a.xor(ax, ax);
        a.mov(es, ax);
        a.cld();
        Out(a, AtaDeviceHead, DeviceZeroLba);
        Out(a, AtaSectorCount, 1);
        Out(a, AtaLbaLow, 1);
        Out(a, AtaLbaLow + 1, 0);
        Out(a, AtaLbaLow + 2, 0);
        a.mov(dx, AtaCommandStatus);
        a.mov(al, ReadSectors);
        a.@out(dx, al);
        for (var i = 0; i < Nops; i++)
        {
            a.nop();
        }

        a.@in(al, dx);
        a.mov(dx, AtaData);
        a.mov(di, Buffer);
        a.mov(cx, 256);
        a.rep.insw();
        a.mov(dx, DebugExitPort);
        a.mov(al, DoneValue);
        a.@out(dx, al);
        a.Label(ref spin);
        a.hlt();
        a.jmp(spin);
        return QemuSystem.BootSectors.Sector(a);
    }

    private static void Out(Assembler a, ushort port, byte value)
    {
        a.mov(dx, port);
        a.mov(al, value);
        a.@out(dx, al);
    }
}
