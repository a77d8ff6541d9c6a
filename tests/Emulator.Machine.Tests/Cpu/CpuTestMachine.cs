using Emulator.Machine.Bus;
using Emulator.Machine.Cpu;
using Emulator.Machine.Interrupts;
using Emulator.Machine.Memory;
using Iced.Intel;

namespace Emulator.Machine.Tests.Cpu;

/// <summary>
/// A CPU with 2 MiB of RAM for instruction tests. Guest code is built with Iced's
/// <see cref="Assembler"/> and loaded at <see cref="CodeSegment"/>:0 (real mode) with the stack at
/// <see cref="StackSegment"/>:<see cref="StackTop"/>; a HLT is appended so <see cref="RunToHalt"/> stops.
/// </summary>
internal sealed class CpuTestMachine
{
    public const ushort CodeSegment = 0x1000;
    public const ushort DataSegment = 0x2000;
    public const ushort ExtraSegment = 0x3000;
    public const ushort StackSegment = 0x4000;
    public const ushort StackTop = 0xFFF0;
    public const int RamSize = 2 << 20;
    public const long StepLimit = 1_000_000;

    public CpuTestMachine(IInterruptAcknowledge? interrupts = null)
    {
        Memory = new GuestMemory(RamSize);
        Ports = new IoPortBus();
        Cpu = new X86Cpu(Memory, Ports, interrupts);
        if (Environment.GetEnvironmentVariable(TierVariable) == "jit")
        {
            // Runs the instruction tests through the translating tier, every block compiled on first sight.
            Cpu.Tier = CpuTier.Translator;
            Cpu.TranslationThreshold = 1;
            Cpu.TranslationDropLimit = int.MaxValue;
        }
    }

    /// <summary>Set to <c>jit</c> to run every test built on this machine with the translating tier.</summary>
    public const string TierVariable = "EMU_TEST_CPU";

    public GuestMemory Memory { get; }

    public IoPortBus Ports { get; }

    public X86Cpu Cpu { get; }

    public CpuRegisters Registers => Cpu.Registers;

    public static uint Physical(ushort segment, uint offset) => ((uint)segment << 4) + offset;

    public static byte[] Assemble(int bitness, ulong ip, Action<Assembler> build)
    {
        var assembler = new Assembler(bitness);
        build(assembler);
        var stream = new MemoryStream();
        assembler.Assemble(new StreamCodeWriter(stream), ip);
        return stream.ToArray();
    }

    /// <summary>Assembles 16-bit code, appends HLT, loads it at CS:0 and points the registers at it.</summary>
    public CpuTestMachine Load16(Action<Assembler> build)
    {
        var code = Assemble(16, 0, a =>
        {
            build(a);
            a.hlt();
        });
        Memory.Write(Physical(CodeSegment, 0), code);
        Registers.CS = CodeSegment;
        Registers.DS = DataSegment;
        Registers.ES = ExtraSegment;
        Registers.SS = StackSegment;
        Registers.ESP = StackTop;
        Registers.EIP = 0;
        return this;
    }

    /// <summary>Points the real-mode interrupt vector at a handler assembled at <paramref name="segment"/>:0.</summary>
    public void InstallHandler(byte vector, ushort segment, Action<Assembler> build)
    {
        Memory.Write(Physical(segment, 0), Assemble(16, 0, build));
        WriteWord((uint)vector * 4, 0);
        WriteWord(((uint)vector * 4) + 2, segment);
    }

    public long RunToHalt()
    {
        var executed = Cpu.Run(StepLimit);
        Assert.That(Cpu.Halted, Is.True, "guest code did not reach HLT");
        return executed;
    }

    public ushort ReadWord(uint address) => (ushort)(Memory.ReadByte(address) | (Memory.ReadByte(address + 1) << 8));

    public uint ReadDword(uint address) => ReadWord(address) | ((uint)ReadWord(address + 2) << 16);

    public void WriteWord(uint address, ushort value) => Memory.Write(address, [(byte)value, (byte)(value >> 8)]);
}
