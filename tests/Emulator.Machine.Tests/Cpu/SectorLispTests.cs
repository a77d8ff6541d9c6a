using Emulator.TestSupport;
using System.Text;
using Emulator.Machine.Bus;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

/// <summary>
/// A real guest: SectorLISP (shared/images/sectorlisp, written outside this project) run from its boot
/// sector at 0000:7C00. INT 16h and INT 10h are tiny handlers, assembled here, that move characters
/// through a console port, so the whole program runs on the interpreter. MANIFEST.md gives the
/// expected session: typing <c>(CAR (QUOTE (A B)))</c> and Enter prints <c>A</c>.
/// </summary>
public class SectorLispTests
{
    private const ushort BootSegment = 0x0000;
    private const ushort BootOffset = 0x7C00;
    private const ushort BiosSegment = 0xF000;
    private const ushort KeyboardHandler = 0x0000;
    private const ushort VideoHandler = 0x0100;
    private const byte VideoVector = 0x10;
    private const byte KeyboardVector = 0x16;
    private const byte ConsolePort = 0xE0;
    private const long StepLimit = 50_000_000;

    /// <summary>Keys come from <see cref="Input"/>, output goes to <see cref="Output"/>; reads return 0 once input runs out.</summary>
    private sealed class Console(string input) : IPortDevice
    {
        private int _next;

        public StringBuilder Output { get; } = new();

        public string Input { get; } = input;

        public uint Read(ushort port, PortWidth width) => _next < Input.Length ? Input[_next++] : 0u;

        public void Write(ushort port, PortWidth width, uint value) => Output.Append((char)(value & 0xFF));
    }

    [Test]
    public void SectorLisp_CarOfQuotedList_PrintsFirstAtom()
    {
        var image = SharedFolder.Find("images", "sectorlisp", "sectorlisp.bin");
        Assert.That(image, Is.Not.Null, "shared/images/sectorlisp/sectorlisp.bin not found beside the repository");
        var console = new Console("(CAR (QUOTE (A B)))\r");
        var machine = new CpuTestMachine();
        machine.Ports.Register(console, ConsolePort, 1);
        InstallBiosStubs(machine);
        machine.Memory.Write(CpuTestMachine.Physical(BootSegment, BootOffset), File.ReadAllBytes(image!));
        var r = machine.Registers;
        r.CS = BootSegment;
        r.DS = BootSegment;
        r.ES = BootSegment;
        r.SS = BootSegment;
        r.ESP = BootOffset;
        r.EIP = BootOffset;
        r.EDX = 0;

        var executed = machine.Cpu.Run(StepLimit);

        Assert.That(machine.Cpu.Halted, Is.True, $"ran {executed} instructions without asking for more input");
        Assert.That(console.Output.ToString(), Does.EndWith("A\r\n"));
    }

    private static void InstallBiosStubs(CpuTestMachine machine)
    {
        machine.Memory.Write(CpuTestMachine.Physical(BiosSegment, KeyboardHandler), CpuTestMachine.Assemble(16, KeyboardHandler, asm =>
        {
            var haveKey = asm.CreateLabel();
            asm.@in(al, ConsolePort);
            asm.test(al, al);
            asm.jnz(haveKey);
            asm.cli();
            asm.hlt();
            asm.Label(ref haveKey);
            asm.xor(ah, ah);
            asm.iret();
        }));
        machine.Memory.Write(CpuTestMachine.Physical(BiosSegment, VideoHandler), CpuTestMachine.Assemble(16, VideoHandler, asm =>
        {
            asm.@out(ConsolePort, al);
            asm.iret();
        }));
        machine.WriteWord(KeyboardVector * 4u, KeyboardHandler);
        machine.WriteWord((KeyboardVector * 4u) + 2, BiosSegment);
        machine.WriteWord(VideoVector * 4u, VideoHandler);
        machine.WriteWord((VideoVector * 4u) + 2, BiosSegment);
    }
}
