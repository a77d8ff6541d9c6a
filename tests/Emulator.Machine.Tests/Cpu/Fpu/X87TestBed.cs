using System.Buffers.Binary;
using Iced.Intel;

namespace Emulator.Machine.Tests.Cpu.Fpu;

/// <summary>
/// Runs real-mode x87 code on a <see cref="CpuTestMachine"/> and reads results back from the data
/// segment. Operands are placed there by the test as bit patterns (so expected values are computed
/// independently of the emulator: System.Double where exact, hand-worked 80-bit patterns otherwise).
/// </summary>
internal sealed class X87TestBed
{
    public const ushort Input = 0x100;
    public const ushort Input2 = 0x110;
    public const ushort Output = 0x200;
    public const ushort StatusWord = 0x300;
    public const ushort ControlWord = 0x302;

    public CpuTestMachine Machine { get; } = new();

    public static uint Data(uint offset) => CpuTestMachine.Physical(CpuTestMachine.DataSegment, offset);

    public X87TestBed Double(ushort offset, double value) => Qword(offset, BitConverter.DoubleToUInt64Bits(value));

    public X87TestBed Qword(ushort offset, ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        Machine.Memory.Write(Data(offset), bytes);
        return this;
    }

    public X87TestBed Dword(ushort offset, uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        Machine.Memory.Write(Data(offset), bytes);
        return this;
    }

    public X87TestBed Word(ushort offset, ushort value)
    {
        Machine.WriteWord(Data(offset), value);
        return this;
    }

    public X87TestBed Extended(ushort offset, ushort signExponent, ulong significand)
    {
        Qword(offset, significand);
        return Word((ushort)(offset + 8), signExponent);
    }

    /// <summary>Runs <paramref name="build"/> then FNSTSW/FNSTCW into <see cref="StatusWord"/>/<see cref="ControlWord"/>.</summary>
    public X87TestBed Run(Action<Assembler> build)
    {
        Machine.Load16(asm =>
        {
            build(asm);
            asm.fnstsw(AssemblerRegisters.__word_ptr[StatusWord]);
            asm.fnstcw(AssemblerRegisters.__word_ptr[ControlWord]);
        });
        Machine.RunToHalt();
        return this;
    }

    public ushort ReadWord(ushort offset) => Machine.ReadWord(Data(offset));

    public uint ReadDword(ushort offset) => Machine.ReadDword(Data(offset));

    public ulong ReadQword(ushort offset) => Machine.ReadDword(Data(offset)) | ((ulong)Machine.ReadDword(Data(offset + 4u)) << 32);

    public double ReadDouble(ushort offset) => BitConverter.UInt64BitsToDouble(ReadQword(offset));

    /// <summary>An 80-bit value as "SEXP:SIGNIFICAND" in hex, the form the expected patterns are written in.</summary>
    public string ReadExtended(ushort offset) => $"{ReadWord((ushort)(offset + 8)):X4}:{ReadQword(offset):X16}";

    public ushort Status => ReadWord(StatusWord);
}
