using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu.Fpu;

/// <summary>
/// x87 arithmetic against values computed independently: System.Double where the x87 result must
/// equal IEEE double arithmetic (precision control at 53 bits, one rounding), and 80-bit bit patterns
/// worked out by hand or with Python's integer arithmetic (noted per case).
/// </summary>
public class X87ArithmeticTests
{
    private const ushort InvalidOperation = 1 << 0;
    private const ushort Denormal = 1 << 1;
    private const ushort ZeroDivide = 1 << 2;
    private const ushort Overflow = 1 << 3;
    private const ushort Underflow = 1 << 4;
    private const ushort Precision = 1 << 5;
    private const ushort ErrorSummary = 1 << 7;
    private const ushort C0 = 1 << 8;
    private const ushort C1 = 1 << 9;
    private const ushort C2 = 1 << 10;
    private const ushort C3 = 1 << 14;
    private const ushort Exceptions = 0x3F;
    private const ushort DoublePrecisionControl = 0x027F;
    private const uint CarryFlag = 1 << 0;
    private const uint ParityFlag = 1 << 2;
    private const uint ZeroFlag = 1 << 6;

    public enum Operation
    {
        Add,
        Subtract,
        Multiply,
        Divide,
        SubtractReversed,
        DivideReversed,
    }

    /// <summary>Rounding control values for the control word (bits 10–11), all exceptions masked, 64-bit precision.</summary>
    private static ushort Rounding(int rc) => (ushort)(0x037F | (rc << 10));

    [TestCase(Operation.Add, 1.1, 2.2)]
    [TestCase(Operation.Add, 1e300, -1e284)]
    [TestCase(Operation.Subtract, 0.1, 0.3)]
    [TestCase(Operation.Subtract, 123456.789, 123456.788)]
    [TestCase(Operation.Multiply, Math.PI, Math.E)]
    [TestCase(Operation.Multiply, -3.7e-150, 9.1e-160)]
    [TestCase(Operation.Divide, 1.0, 3.0)]
    [TestCase(Operation.Divide, 22.0, -7.0)]
    [TestCase(Operation.Divide, 4195835.0, 3145727.0)]
    [TestCase(Operation.SubtractReversed, 2.5, 0.7)]
    [TestCase(Operation.DivideReversed, 3.0, 10.0)]
    public void BasicOperation_DoublePrecisionControl_MatchesIeeeDouble(Operation operation, double a, double b)
    {
        var expected = operation switch
        {
            Operation.Add => a + b,
            Operation.Subtract => a - b,
            Operation.Multiply => a * b,
            Operation.Divide => a / b,
            Operation.SubtractReversed => b - a,
            _ => b / a,
        };
        var bed = new X87TestBed().Double(X87TestBed.Input, a).Double(X87TestBed.Input2, b).Word(0x120, DoublePrecisionControl).Run(asm =>
        {
            asm.fninit();
            asm.fldcw(__word_ptr[0x120]);
            asm.fld(__qword_ptr[X87TestBed.Input]);
            var source = __qword_ptr[X87TestBed.Input2];
            switch (operation)
            {
                case Operation.Add: asm.fadd(source); break;
                case Operation.Subtract: asm.fsub(source); break;
                case Operation.Multiply: asm.fmul(source); break;
                case Operation.Divide: asm.fdiv(source); break;
                case Operation.SubtractReversed: asm.fsubr(source); break;
                default: asm.fdivr(source); break;
            }

            asm.fstp(__qword_ptr[X87TestBed.Output]);
        });

        Assert.That(bed.ReadQword(X87TestBed.Output), Is.EqualTo(BitConverter.DoubleToUInt64Bits(expected)));
    }

    [TestCase(2.0)]
    [TestCase(10.0)]
    [TestCase(0.0001234)]
    [TestCase(1e-310)]
    public void Fsqrt_DoublePrecisionControl_MatchesMathSqrt(double value)
    {
        var bed = new X87TestBed().Double(X87TestBed.Input, value).Word(0x120, DoublePrecisionControl).Run(asm =>
        {
            asm.fninit();
            asm.fldcw(__word_ptr[0x120]);
            asm.fld(__qword_ptr[X87TestBed.Input]);
            asm.fsqrt();
            asm.fstp(__qword_ptr[X87TestBed.Output]);
        });

        Assert.That(bed.ReadDouble(X87TestBed.Output), Is.EqualTo(Math.Sqrt(value)));
    }

    /// <summary>1/3 = 0.0101…b: 64 bits AAAA…AA and the rest ≥ half, so nearest and up end in B (Python: (1 &lt;&lt; 65) // 3).</summary>
    [TestCase(0, "3FFD:AAAAAAAAAAAAAAAB", C1)]
    [TestCase(1, "3FFD:AAAAAAAAAAAAAAAA", 0)]
    [TestCase(2, "3FFD:AAAAAAAAAAAAAAAB", C1)]
    [TestCase(3, "3FFD:AAAAAAAAAAAAAAAA", 0)]
    public void Fdiv_OneThirdExtended_RoundsByRc(int rc, string expected, int c1)
    {
        var bed = new X87TestBed().Word(0x120, Rounding(rc)).Run(asm =>
        {
            asm.fninit();
            asm.fldcw(__word_ptr[0x120]);
            asm.fld1();
            asm.fld1();
            asm.fadd(st0, st0);
            asm.fld1();
            asm.fadd(st0, st1);
            asm.fdivp(st2, st0);
            asm.fnstsw(__word_ptr[0x130]);
            asm.fstp(st0);
            asm.fstp(__tword_ptr[X87TestBed.Output]);
        });

        Assert.That(bed.ReadExtended(X87TestBed.Output), Is.EqualTo(expected));
        Assert.That(bed.ReadWord(0x130) & (C1 | Precision), Is.EqualTo(c1 | Precision));
    }

    /// <summary>√2 × 2^63 = B504F333F9DE6484.4…h (Python: math.isqrt(2 &lt;&lt; 130) ends in binary 01).</summary>
    [TestCase(0, "3FFF:B504F333F9DE6484")]
    [TestCase(2, "3FFF:B504F333F9DE6485")]
    public void Fsqrt_TwoExtended_KnownPattern(int rc, string expected)
    {
        var bed = new X87TestBed().Word(0x120, Rounding(rc)).Run(asm =>
        {
            asm.fninit();
            asm.fldcw(__word_ptr[0x120]);
            asm.fld1();
            asm.fadd(st0, st0);
            asm.fsqrt();
            asm.fstp(__tword_ptr[X87TestBed.Output]);
        });

        Assert.That(bed.ReadExtended(X87TestBed.Output), Is.EqualTo(expected));
    }

    /// <summary>Linux's check_fpu (arch/x86/kernel/fpu/bugs.c): x − (x / y) × y must store 0 on a correct FDIV.</summary>
    [Test]
    public void LinuxFdivBugCheck_StoresZero()
    {
        var bed = new X87TestBed().Double(X87TestBed.Input, 4195835.0).Double(X87TestBed.Input2, 3145727.0).Dword(X87TestBed.Output, 0xDEAD_BEEF).Run(asm =>
        {
            asm.fninit();
            asm.fld(__qword_ptr[X87TestBed.Input]);
            asm.fdiv(__qword_ptr[X87TestBed.Input2]);
            asm.fmul(__qword_ptr[X87TestBed.Input2]);
            asm.fld(__qword_ptr[X87TestBed.Input]);
            asm.fsubp(st1, st0);
            asm.fistp(__dword_ptr[X87TestBed.Output]);
            asm.wait();
            asm.fninit();
        });

        Assert.That(bed.ReadDword(X87TestBed.Output), Is.Zero);
    }

    [TestCase(2.5, 0, 2)]
    [TestCase(2.5, 1, 2)]
    [TestCase(2.5, 2, 3)]
    [TestCase(2.5, 3, 2)]
    [TestCase(-2.5, 0, -2)]
    [TestCase(-2.5, 1, -3)]
    [TestCase(-2.5, 2, -2)]
    [TestCase(3.5, 0, 4)]
    [TestCase(-0.25, 1, -1)]
    [TestCase(0.75, 3, 0)]
    public void Fistp_Int32_RoundsByRc(double value, int rc, int expected)
    {
        var bed = new X87TestBed().Double(X87TestBed.Input, value).Word(0x120, Rounding(rc)).Run(asm =>
        {
            asm.fninit();
            asm.fldcw(__word_ptr[0x120]);
            asm.fld(__qword_ptr[X87TestBed.Input]);
            asm.fistp(__dword_ptr[X87TestBed.Output]);
        });

        Assert.That((int)bed.ReadDword(X87TestBed.Output), Is.EqualTo(expected));
        Assert.That(bed.Status & Precision, Is.EqualTo(Precision));
    }

    [Test]
    public void Fistp_Int16OutOfRange_StoresIntegerIndefiniteWithIe()
    {
        var bed = new X87TestBed().Double(X87TestBed.Input, 40000.0).Run(asm =>
        {
            asm.fninit();
            asm.fld(__qword_ptr[X87TestBed.Input]);
            asm.fistp(__word_ptr[X87TestBed.Output]);
        });

        Assert.That(bed.ReadWord(X87TestBed.Output), Is.EqualTo(0x8000));
        Assert.That(bed.Status & InvalidOperation, Is.EqualTo(InvalidOperation));
    }

    [Test]
    public void Fild_Int64Minimum_IsExact()
    {
        var bed = new X87TestBed().Qword(X87TestBed.Input, 0x8000_0000_0000_0000).Run(asm =>
        {
            asm.fninit();
            asm.fild(__qword_ptr[X87TestBed.Input]);
            asm.fstp(__tword_ptr[X87TestBed.Output]);
        });

        Assert.That(bed.ReadExtended(X87TestBed.Output), Is.EqualTo("C03E:8000000000000000"));
    }

    /// <summary>10 = 3 × 3 + 1: quotient 011b → C0 = 0, C3 = 1, C1 = 1; FPREM1 of 11 by 3 rounds the quotient to 4 (100b) and leaves −1; −7 = −(2 × 3) − 1 (010b).</summary>
    [TestCase(false, 10.0, 1.0, C3 | C1)]
    [TestCase(true, 11.0, -1.0, C0)]
    [TestCase(false, -7.0, -1.0, C3)]
    public void Fprem_SmallExponentDifference_ExactRemainderAndQuotientBits(bool ieee, double dividend, double expected, int codes)
    {
        var bed = new X87TestBed().Double(X87TestBed.Input, 3.0).Double(X87TestBed.Input2, dividend).Run(asm =>
        {
            asm.fninit();
            asm.fld(__qword_ptr[X87TestBed.Input]);
            asm.fld(__qword_ptr[X87TestBed.Input2]);
            if (ieee)
            {
                asm.fprem1();
            }
            else
            {
                asm.fprem();
            }

            asm.fnstsw(__word_ptr[0x130]);
            asm.fstp(__qword_ptr[X87TestBed.Output]);
        });

        Assert.That(bed.ReadDouble(X87TestBed.Output), Is.EqualTo(expected));
        Assert.That(bed.ReadWord(0x130) & (C0 | C1 | C2 | C3), Is.EqualTo(codes));
    }

    [Test]
    public void Fprem_HugeExponentDifference_IsPartialWithC2()
    {
        var bed = new X87TestBed().Double(X87TestBed.Input, 3.0).Double(X87TestBed.Input2, 1e300).Run(asm =>
        {
            asm.fninit();
            asm.fld(__qword_ptr[X87TestBed.Input]);
            asm.fld(__qword_ptr[X87TestBed.Input2]);
            asm.fprem();
            asm.fnstsw(__word_ptr[0x130]);
        });

        Assert.That(bed.ReadWord(0x130) & C2, Is.EqualTo(C2));
    }

    [Test]
    public void FscaleAndFxtract_AreInverse()
    {
        var bed = new X87TestBed().Double(X87TestBed.Input, 1.5).Double(X87TestBed.Input2, 3.0).Run(asm =>
        {
            asm.fninit();
            asm.fld(__qword_ptr[X87TestBed.Input2]);
            asm.fld(__qword_ptr[X87TestBed.Input]);
            asm.fscale();
            asm.fst(__qword_ptr[X87TestBed.Output]);
            asm.fxtract();
            asm.fstp(__qword_ptr[X87TestBed.Output + 8]);
            asm.fstp(__qword_ptr[X87TestBed.Output + 16]);
        });

        Assert.That(bed.ReadDouble(X87TestBed.Output), Is.EqualTo(12.0), "1.5 × 2^3");
        Assert.That(bed.ReadDouble(X87TestBed.Output + 8), Is.EqualTo(1.5), "significand");
        Assert.That(bed.ReadDouble(X87TestBed.Output + 16), Is.EqualTo(3.0), "exponent");
    }

    [TestCase(1.0, 2.0, C0)]
    [TestCase(2.0, 2.0, C3)]
    [TestCase(3.0, 2.0, 0)]
    [TestCase(-0.0, 0.0, C3)]
    public void Fcom_Memory_SetsConditionCodes(double top, double source, int codes)
    {
        var bed = new X87TestBed().Double(X87TestBed.Input, top).Double(X87TestBed.Input2, source).Run(asm =>
        {
            asm.fninit();
            asm.fld(__qword_ptr[X87TestBed.Input]);
            asm.fcom(__qword_ptr[X87TestBed.Input2]);
        });

        Assert.That(bed.Status & (C0 | C1 | C2 | C3), Is.EqualTo(codes));
    }

    [TestCase(1.0, 2.0, false, CarryFlag, 0)]
    [TestCase(2.0, 2.0, false, ZeroFlag, 0)]
    [TestCase(double.NaN, 2.0, true, ZeroFlag | ParityFlag | CarryFlag, 0)]
    [TestCase(double.NaN, 2.0, false, ZeroFlag | ParityFlag | CarryFlag, InvalidOperation)]
    public void Fcomi_SetsEflags(double top, double next, bool unordered, uint flags, int ie)
    {
        var bed = new X87TestBed().Double(X87TestBed.Input, top).Double(X87TestBed.Input2, next);
        bed.Run(asm =>
        {
            asm.fninit();
            asm.fld(__qword_ptr[X87TestBed.Input2]);
            asm.fld(__qword_ptr[X87TestBed.Input]);
            asm.stc();
            if (unordered)
            {
                asm.fucomip(st0, st1);
            }
            else
            {
                asm.fcomip(st0, st1);
            }
        });

        Assert.That(bed.Machine.Registers.EFLAGS & (CarryFlag | ParityFlag | ZeroFlag), Is.EqualTo(flags));
        Assert.That(bed.Status & InvalidOperation, Is.EqualTo(ie));
        Assert.That((bed.Status >> 11) & 7, Is.EqualTo(7), "popped once");
    }

    [Test]
    public void Fdiv_ByZeroMasked_GivesSignedInfinityAndZe()
    {
        var bed = new X87TestBed().Double(X87TestBed.Input, -5.0).Double(X87TestBed.Input2, 0.0).Run(asm =>
        {
            asm.fninit();
            asm.fld(__qword_ptr[X87TestBed.Input]);
            asm.fdiv(__qword_ptr[X87TestBed.Input2]);
            asm.fstp(__qword_ptr[X87TestBed.Output]);
        });

        Assert.That(bed.ReadDouble(X87TestBed.Output), Is.EqualTo(double.NegativeInfinity));
        Assert.That(bed.Status & Exceptions, Is.EqualTo(ZeroDivide));
    }

    [TestCase(0.0, 0.0)]
    [TestCase(double.PositiveInfinity, double.PositiveInfinity)]
    public void Fdiv_Invalid_GivesIndefinite(double a, double b)
    {
        var bed = new X87TestBed().Double(X87TestBed.Input, a).Double(X87TestBed.Input2, b).Run(asm =>
        {
            asm.fninit();
            asm.fld(__qword_ptr[X87TestBed.Input]);
            asm.fdiv(__qword_ptr[X87TestBed.Input2]);
            asm.fstp(__tword_ptr[X87TestBed.Output]);
        });

        Assert.That(bed.ReadExtended(X87TestBed.Output), Is.EqualTo("FFFF:C000000000000000"));
        Assert.That(bed.Status & Exceptions, Is.EqualTo(InvalidOperation));
    }

    [Test]
    public void Fdiv_UnmaskedInvalid_LeavesDestinationAndSetsErrorSummary()
    {
        var bed = new X87TestBed().Word(0x120, 0x037E).Run(asm =>
        {
            asm.fninit();
            asm.fldcw(__word_ptr[0x120]);
            asm.fldz();
            asm.fldz();
            asm.fdivp(st1, st0);
            asm.fnstsw(__word_ptr[0x130]);
            asm.fninit();
        });

        Assert.That(bed.ReadWord(0x130) & (InvalidOperation | ErrorSummary), Is.EqualTo(InvalidOperation | ErrorSummary));
        Assert.That((bed.ReadWord(0x130) >> 11) & 7, Is.EqualTo(6), "not popped");
    }

    /// <summary>The smallest normal extended halved is an exact denormal (no UE); with a low bit set it is inexact and underflows.</summary>
    [TestCase(0x8000_0000_0000_0000ul, 0)]
    [TestCase(0x8000_0000_0000_0001ul, Underflow | Precision)]
    public void Fdiv_SmallestNormalByTwo_DenormalResult(ulong significand, int flags)
    {
        var bed = new X87TestBed().Extended(X87TestBed.Input, 0x0001, significand).Run(asm =>
        {
            asm.fninit();
            asm.fld1();
            asm.fadd(st0, st0);
            asm.fld(__tword_ptr[X87TestBed.Input]);
            asm.fdivrp(st1, st0);
            asm.fnstsw(__word_ptr[0x130]);
            asm.fstp(__tword_ptr[X87TestBed.Output]);
        });

        Assert.That(bed.ReadExtended(X87TestBed.Output), Is.EqualTo("0000:4000000000000000"), "half-way rounds to even");
        Assert.That(bed.ReadWord(0x130) & Exceptions, Is.EqualTo(flags));
    }

    [TestCase(0, "7FFF:8000000000000000")]
    [TestCase(3, "7FFE:FFFFFFFFFFFFFFFF")]
    public void Fmul_LargestTimesTwo_OverflowsByRc(int rc, string expected)
    {
        var bed = new X87TestBed().Extended(X87TestBed.Input, 0x7FFE, ulong.MaxValue).Word(0x120, Rounding(rc)).Run(asm =>
        {
            asm.fninit();
            asm.fldcw(__word_ptr[0x120]);
            asm.fld(__tword_ptr[X87TestBed.Input]);
            asm.fadd(st0, st0);
            asm.fnstsw(__word_ptr[0x130]);
            asm.fstp(__tword_ptr[X87TestBed.Output]);
        });

        Assert.That(bed.ReadExtended(X87TestBed.Output), Is.EqualTo(expected));
        Assert.That(bed.ReadWord(0x130) & Exceptions, Is.EqualTo(Overflow | Precision));
    }

    /// <summary>An unmasked overflow into a register delivers the result with its exponent reduced by 24576 (SDM vol. 1, 4.9.1.4).</summary>
    [Test]
    public void Fadd_UnmaskedOverflow_BiasesExponent()
    {
        var bed = new X87TestBed().Extended(X87TestBed.Input, 0x7FFE, 0x8000_0000_0000_0000).Word(0x120, 0x0377).Run(asm =>
        {
            asm.fninit();
            asm.fldcw(__word_ptr[0x120]);
            asm.fld(__tword_ptr[X87TestBed.Input]);
            asm.fadd(st0, st0);
            asm.fnstsw(__word_ptr[0x130]);
            asm.fnclex();
            asm.fstp(__tword_ptr[X87TestBed.Output]);
        });

        Assert.That(bed.ReadExtended(X87TestBed.Output), Is.EqualTo($"{0x7FFF - 24576:X4}:8000000000000000"));
        Assert.That(bed.ReadWord(0x130) & (Overflow | ErrorSummary), Is.EqualTo(Overflow | ErrorSummary));
    }

    [Test]
    public void FldSingle_SignalingNaN_QuietedWithIe()
    {
        var bed = new X87TestBed().Dword(X87TestBed.Input, 0x7F80_0001).Run(asm =>
        {
            asm.fninit();
            asm.fld(__dword_ptr[X87TestBed.Input]);
            asm.fstp(__tword_ptr[X87TestBed.Output]);
        });

        Assert.That(bed.ReadExtended(X87TestBed.Output), Is.EqualTo("7FFF:C000010000000000"));
        Assert.That(bed.Status & Exceptions, Is.EqualTo(InvalidOperation));
    }

    /// <summary>The smallest single denormal, 2^−149, is a normal extended number (biased exponent 16383 − 149 = 3F6Ah) and raises DE.</summary>
    [Test]
    public void FldSingle_Denormal_NormalisedWithDe()
    {
        var bed = new X87TestBed().Dword(X87TestBed.Input, 1).Run(asm =>
        {
            asm.fninit();
            asm.fld(__dword_ptr[X87TestBed.Input]);
            asm.fstp(__tword_ptr[X87TestBed.Output]);
        });

        Assert.That(bed.ReadExtended(X87TestBed.Output), Is.EqualTo("3F6A:8000000000000000"));
        Assert.That(bed.Status & Exceptions, Is.EqualTo(Denormal));
    }

    [TestCase(1.0 / 3.0, 0x3EAA_AAABu)]
    [TestCase(1e-40, 0x0001_16C2u)]
    [TestCase(3.4e39, 0x7F80_0000u)]
    public void FstSingle_RoundsLikeAFloatCast(double value, uint expected)
    {
        var bed = new X87TestBed().Double(X87TestBed.Input, value).Run(asm =>
        {
            asm.fninit();
            asm.fld(__qword_ptr[X87TestBed.Input]);
            asm.fstp(__dword_ptr[X87TestBed.Output]);
        });

        Assert.That(bed.ReadDword(X87TestBed.Output), Is.EqualTo(expected));
        Assert.That(BitConverter.SingleToUInt32Bits((float)value), Is.EqualTo(expected), "the expectation is .NET's own double→float conversion");
    }

    /// <summary>FST lists no #D: an extended denormal stored as a double underflows to +0 (UE, PE), and FIST of one rounds to 0 with PE only.</summary>
    [Test]
    public void Store_ExtendedDenormal_UnderflowsWithoutDe()
    {
        var bed = new X87TestBed().Extended(X87TestBed.Input, 0x0000, 0x4000_0000_0000_0000).Qword(X87TestBed.Output, ulong.MaxValue).Run(asm =>
        {
            asm.fninit();
            asm.fld(__tword_ptr[X87TestBed.Input]);
            asm.fst(__qword_ptr[X87TestBed.Output]);
            asm.fnstsw(__word_ptr[0x130]);
            asm.fnclex();
            asm.fistp(__dword_ptr[X87TestBed.Output + 8]);
        });

        Assert.That(bed.ReadQword(X87TestBed.Output), Is.Zero);
        Assert.That(bed.ReadWord(0x130) & Exceptions, Is.EqualTo(Underflow | Precision));
        Assert.That(bed.ReadDword(X87TestBed.Output + 8), Is.Zero);
        Assert.That(bed.Status & Exceptions, Is.EqualTo(Precision));
    }

    [Test]
    public void FbstpThenFbld_RoundTripsEighteenDigits()
    {
        var bed = new X87TestBed().Qword(X87TestBed.Input, unchecked((ulong)-123_456_789_012_345_678L)).Run(asm =>
        {
            asm.fninit();
            asm.fild(__qword_ptr[X87TestBed.Input]);
            asm.fbstp(__tword_ptr[X87TestBed.Output]);
            asm.fbld(__tword_ptr[X87TestBed.Output]);
            asm.fistp(__qword_ptr[X87TestBed.Output + 16]);
        });

        Assert.That(bed.ReadQword(X87TestBed.Output), Is.EqualTo(0x3456_7890_1234_5678UL), "digit pairs, least significant first");
        Assert.That(bed.ReadWord(X87TestBed.Output + 8), Is.EqualTo(0x8012), "top digit pair 12, sign byte 80h");
        Assert.That((long)bed.ReadQword(X87TestBed.Output + 16), Is.EqualTo(-123_456_789_012_345_678L));
    }

    [TestCase(0, "4000:C90FDAA22168C235")]
    [TestCase(1, "4000:C90FDAA22168C234")]
    [TestCase(3, "4000:C90FDAA22168C234")]
    public void Fldpi_RoundsByRc(int rc, string expected)
    {
        var bed = new X87TestBed().Word(0x120, Rounding(rc)).Run(asm =>
        {
            asm.fninit();
            asm.fldcw(__word_ptr[0x120]);
            asm.fldpi();
            asm.fstp(__tword_ptr[X87TestBed.Output]);
        });

        Assert.That(bed.ReadExtended(X87TestBed.Output), Is.EqualTo(expected));
    }

    [TestCase(2.5, 0, 2.0)]
    [TestCase(-2.5, 1, -3.0)]
    [TestCase(-0.3, 3, -0.0)]
    public void Frndint_RoundsByRc(double value, int rc, double expected)
    {
        var bed = new X87TestBed().Double(X87TestBed.Input, value).Word(0x120, Rounding(rc)).Run(asm =>
        {
            asm.fninit();
            asm.fldcw(__word_ptr[0x120]);
            asm.fld(__qword_ptr[X87TestBed.Input]);
            asm.frndint();
            asm.fstp(__qword_ptr[X87TestBed.Output]);
        });

        Assert.That(bed.ReadQword(X87TestBed.Output), Is.EqualTo(BitConverter.DoubleToUInt64Bits(expected)));
    }

    /// <summary>A double denormal is a normal extended number once loaded; .NET's double.NaN has its sign bit set.</summary>
    [TestCase(1.0, C2)]
    [TestCase(0.0, C3)]
    [TestCase(-1e-320, C2 | C1)]
    [TestCase(double.NegativeInfinity, C2 | C0 | C1)]
    [TestCase(double.NaN, C0 | C1)]
    public void Fxam_ClassifiesSt0(double value, int codes)
    {
        var bed = new X87TestBed().Double(X87TestBed.Input, value).Run(asm =>
        {
            asm.fninit();
            asm.fld(__qword_ptr[X87TestBed.Input]);
            asm.fxam();
        });

        Assert.That(bed.Status & (C0 | C1 | C2 | C3), Is.EqualTo(codes));
    }

    [Test]
    public void Fxam_ExtendedDenormal_IsDenormalClass()
    {
        var bed = new X87TestBed().Extended(X87TestBed.Input, 0x8000, 1).Run(asm =>
        {
            asm.fninit();
            asm.fld(__tword_ptr[X87TestBed.Input]);
            asm.fxam();
        });

        Assert.That(bed.Status & (C0 | C1 | C2 | C3), Is.EqualTo(C3 | C2 | C1));
    }

    [Test]
    public void Fxam_EmptyRegister_IsEmptyClass()
    {
        var bed = new X87TestBed().Run(asm =>
        {
            asm.fninit();
            asm.fxam();
        });

        Assert.That(bed.Status & (C0 | C2 | C3), Is.EqualTo(C3 | C0));
    }

    [TestCase(true, 2.0)]
    [TestCase(false, 1.0)]
    public void Fcmovb_FollowsCarry(bool carry, double expected)
    {
        var bed = new X87TestBed().Double(X87TestBed.Input, 2.0).Run(asm =>
        {
            asm.fninit();
            asm.fld(__qword_ptr[X87TestBed.Input]);
            asm.fld1();
            if (carry)
            {
                asm.stc();
            }
            else
            {
                asm.clc();
            }

            asm.fcmovb(st0, st1);
            asm.fstp(__qword_ptr[X87TestBed.Output]);
        });

        Assert.That(bed.ReadDouble(X87TestBed.Output), Is.EqualTo(expected));
    }

    /// <summary>FSIN runs in double precision (documented as not bit-exact): it must agree with Math.Sin to double accuracy.</summary>
    [Test]
    public void Fsin_Half_AgreesWithMathSin()
    {
        var bed = new X87TestBed().Double(X87TestBed.Input, 0.5).Run(asm =>
        {
            asm.fninit();
            asm.fld(__qword_ptr[X87TestBed.Input]);
            asm.fsin();
            asm.fstp(__qword_ptr[X87TestBed.Output]);
        });

        Assert.That(bed.ReadDouble(X87TestBed.Output), Is.EqualTo(Math.Sin(0.5)).Within(1e-16));
    }

    [Test]
    public void FiaddAndFimul_IntegerOperands()
    {
        var bed = new X87TestBed().Word(X87TestBed.Input, unchecked((ushort)-7)).Dword(X87TestBed.Input2, 100_000).Run(asm =>
        {
            asm.fninit();
            asm.fld1();
            asm.fiadd(__word_ptr[X87TestBed.Input]);
            asm.fimul(__dword_ptr[X87TestBed.Input2]);
            asm.fistp(__dword_ptr[X87TestBed.Output]);
        });

        Assert.That((int)bed.ReadDword(X87TestBed.Output), Is.EqualTo(-600_000));
    }

}
