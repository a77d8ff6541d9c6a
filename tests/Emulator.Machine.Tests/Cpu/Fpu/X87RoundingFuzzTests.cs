using System.Buffers.Binary;
using System.Numerics;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu.Fpu;

/// <summary>
/// FADD, FSUB, FMUL, FDIV and FSQRT on random 80-bit operands (fixed seeds) under every rounding
/// mode and precision control, checked bit for bit, with PE and C1, against <see cref="ExtendedReference"/>.
/// Operands keep results in the normal range; additions include near-cancellations.
/// </summary>
public class X87RoundingFuzzTests
{
    public enum FuzzOperation
    {
        Add,
        Subtract,
        Multiply,
        Divide,
        SquareRoot,
    }

    private const int Count = 400;
    private const ushort InputBase = 0x0000;
    private const int InputStride = 20;
    private const ushort OutputBase = 0x8000;
    private const int OutputStride = 12;
    private const ushort ControlWordAddress = 0xF000;
    private const ushort Precision = 1 << 5;
    private const ushort C1 = 1 << 9;

    [Test]
    public void RandomOperands_MatchExactRationalRounding(
        [Values] FuzzOperation operation,
        [Values(0, 1, 2, 3)] int rc,
        [Values(24, 53, 64)] int precision)
    {
        var random = new Random((int)operation * 100 + rc * 10 + precision);
        var machine = new CpuTestMachine();
        var operands = new (ulong Sa, int Ea, bool Na, ulong Sb, int Eb, bool Nb)[Count];
        for (var i = 0; i < Count; i++)
        {
            operands[i] = Generate(random, operation);
            var (sa, ea, na, sb, eb, nb) = operands[i];
            WriteExtended(machine, (ushort)(InputBase + i * InputStride), sa, ea, na);
            WriteExtended(machine, (ushort)(InputBase + i * InputStride + 10), sb, eb, nb);
        }

        var pc = precision switch { 24 => 0, 53 => 2, _ => 3 };
        machine.WriteWord(X87TestBed.Data(ControlWordAddress), (ushort)(0x007F | (pc << 8) | (rc << 10)));
        machine.Load16(asm => Program(asm, operation));

        machine.RunToHalt();

        var mismatches = new List<string>();
        for (var i = 0; i < Count; i++)
        {
            var expected = Reference(operands[i], operation, precision, rc);
            var output = X87TestBed.Data((uint)(OutputBase + i * OutputStride));
            var actual = $"{machine.ReadWord(output + 8):X4}:{machine.ReadDword(output) | ((ulong)machine.ReadDword(output + 4) << 32):X16}";
            var status = machine.ReadWord(output + 10);
            var flags = ((status & Precision) != 0, (status & C1) != 0);
            if (actual != expected.Pattern || flags != (expected.Inexact, expected.RoundedUp))
            {
                mismatches.Add($"#{i} {operands[i]}: got {actual} PE/C1 {flags}, expected {expected.Pattern} {(expected.Inexact, expected.RoundedUp)}");
            }
        }

        Assert.That(mismatches, Is.Empty);
    }

    private static (ulong, int, bool, ulong, int, bool) Generate(Random random, FuzzOperation operation)
    {
        ulong Significand() => (ulong)random.NextInt64() | (1UL << 63) | (uint)random.Next(2);
        var sa = Significand();
        var sb = Significand();
        var spread = operation is FuzzOperation.Add or FuzzOperation.Subtract ? 70 : 3000;
        var ea = random.Next(-spread, spread);
        var eb = random.Next(-spread, spread);
        if (operation is FuzzOperation.Add or FuzzOperation.Subtract && random.Next(4) == 0)
        {
            // Near-cancellation: same exponent, significands differing only in low bits.
            eb = ea;
            sb = sa ^ (ulong)random.Next(1 << 20);
        }

        var negativeA = operation != FuzzOperation.SquareRoot && random.Next(2) == 0;
        return (sa, ea, negativeA, sb, eb, random.Next(2) == 0);
    }

    private static ExtendedReference.Result Reference((ulong Sa, int Ea, bool Na, ulong Sb, int Eb, bool Nb) o, FuzzOperation operation, int precision, int rc)
    {
        var a = ExtendedReference.Significand(o.Sa);
        var b = ExtendedReference.Significand(o.Sb);
        switch (operation)
        {
            case FuzzOperation.Add or FuzzOperation.Subtract:
            {
                var nb = o.Nb ^ (operation == FuzzOperation.Subtract);
                var low = Math.Min(o.Ea, o.Eb);
                var sum = (o.Na ? -a : a) * BigInteger.Pow(2, o.Ea - low) + (nb ? -b : b) * BigInteger.Pow(2, o.Eb - low);
                return sum.IsZero
                    ? new ExtendedReference.Result((ushort)(rc == 1 ? 0x8000 : 0), 0, false, false)
                    : ExtendedReference.Round(sum.Sign < 0, BigInteger.Abs(sum), 1, low - 63, precision, rc);
            }

            case FuzzOperation.Multiply:
                return ExtendedReference.Round(o.Na ^ o.Nb, a * b, 1, o.Ea + o.Eb - 126, precision, rc);
            case FuzzOperation.Divide:
                return ExtendedReference.Round(o.Na ^ o.Nb, a, b, o.Ea - o.Eb, precision, rc);
            default:
            {
                // √(a × 2^(ea − 63)): make the exponent even, scale by 2^200 for 100 extra root bits.
                var u = o.Ea - 63;
                var n = a;
                if ((u & 1) != 0)
                {
                    n <<= 1;
                    u--;
                }

                n <<= 200;
                var root = ExtendedReference.SquareRoot(n);
                var exact = root * root == n;
                return exact
                    ? ExtendedReference.Round(false, root, 1, (u / 2) - 100, precision, rc)
                    : ExtendedReference.Round(false, (root * 2) + 1, 1, (u / 2) - 101, precision, rc);
            }
        }
    }

    private static void Program(Assembler asm, FuzzOperation operation)
    {
        var loop = asm.CreateLabel();
        asm.fninit();
        asm.fldcw(__word_ptr[ControlWordAddress]);
        asm.mov(si, InputBase);
        asm.mov(di, OutputBase);
        asm.mov(cx, Count);
        asm.Label(ref loop);
        asm.fnclex();
        asm.fld(__tword_ptr[si]);
        if (operation == FuzzOperation.SquareRoot)
        {
            asm.fsqrt();
        }
        else
        {
            asm.fld(__tword_ptr[si + 10]);
            switch (operation)
            {
                case FuzzOperation.Add: asm.faddp(st1, st0); break;
                case FuzzOperation.Subtract: asm.fsubp(st1, st0); break;
                case FuzzOperation.Multiply: asm.fmulp(st1, st0); break;
                default: asm.fdivp(st1, st0); break;
            }
        }

        asm.fnstsw(__word_ptr[di + 10]);
        asm.fstp(__tword_ptr[di]);
        asm.add(si, InputStride);
        asm.add(di, OutputStride);
        asm.loop(loop);
    }

    private static void WriteExtended(CpuTestMachine machine, ushort offset, ulong significand, int exponent, bool negative)
    {
        var bytes = new byte[10];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, significand);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)((exponent + 16383) | (negative ? 0x8000 : 0)));
        machine.Memory.Write(X87TestBed.Data(offset), bytes);
    }
}
