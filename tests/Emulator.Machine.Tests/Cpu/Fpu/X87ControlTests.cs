using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu.Fpu;

/// <summary>The x87 control instructions, the stack, the environment images and CR0's EM/TS/MP/NE (Intel SDM vol. 1 ch. 8, vol. 3 2.5).</summary>
public class X87ControlTests
{
    private const ushort InvalidOperation = 1 << 0;
    private const ushort ZeroDivide = 1 << 2;
    private const ushort StackFault = 1 << 6;
    private const ushort ErrorSummary = 1 << 7;
    private const ushort C1 = 1 << 9;
    private const ushort Busy = 1 << 15;
    private const byte DeviceNotAvailableVector = 7;
    private const byte MathFaultVector = 16;
    private const ushort HandlerSegment = 0x5000;
    private const uint TaskSwitchedBit = 1 << 3;
    private const uint MonitorBit = 1 << 1;
    private const uint NumericErrorBit = 1 << 5;
    private const string Indefinite = "FFFF:C000000000000000";

    [Test]
    public void Probe_FninitFnstswFnstcw_FindsAnFpu()
    {
        var bed = new X87TestBed().Word(X87TestBed.StatusWord, 0x5A5A).Run(asm => asm.fninit());

        Assert.That(bed.Status, Is.Zero, "status word after FNINIT");
        Assert.That(bed.ReadWord(X87TestBed.ControlWord), Is.EqualTo(0x037F), "(fcw & 0x103f) == 0x003f is Linux's test");
    }

    [Test]
    public void Cpuid_Leaf1_ReportsFpu()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(eax, 1);
            asm.cpuid();
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EDX & 1, Is.EqualTo(1));
    }

    [Test]
    public void FnstswAx_AfterTwoPushes_ReportsTopSix()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.fninit();
            asm.fld1();
            asm.fldz();
            asm.fnstsw(ax);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.AX, Is.EqualTo(6 << 11));
    }

    [Test]
    public void Fldcw_AllOnes_KeepsOnlyTheDefinedBits()
    {
        var bed = new X87TestBed().Word(X87TestBed.Input, 0xFFFF).Run(asm =>
        {
            asm.fninit();
            asm.fldcw(__word_ptr[X87TestBed.Input]);
        });

        Assert.That(bed.ReadWord(X87TestBed.ControlWord), Is.EqualTo(0x1F7F));
    }

    [Test]
    public void Push_NinthValue_StackOverflowLoadsIndefiniteWithC1()
    {
        var bed = new X87TestBed().Run(asm =>
        {
            asm.fninit();
            for (var i = 0; i < 9; i++)
            {
                asm.fld1();
            }

            asm.fnstsw(__word_ptr[X87TestBed.Input]);
            asm.fstp(__tword_ptr[X87TestBed.Output]);
        });

        Assert.That(bed.ReadWord(X87TestBed.Input) & (InvalidOperation | StackFault | C1), Is.EqualTo(InvalidOperation | StackFault | C1));
        Assert.That(bed.ReadExtended(X87TestBed.Output), Is.EqualTo(Indefinite));
    }

    [Test]
    public void Fadd_EmptyStack_StackUnderflowWithC1Clear()
    {
        var bed = new X87TestBed().Run(asm =>
        {
            asm.fninit();
            asm.fadd(st0, st1);
            asm.fnstsw(__word_ptr[X87TestBed.Input]);
            asm.fstp(__tword_ptr[X87TestBed.Output]);
        });

        Assert.That(bed.ReadWord(X87TestBed.Input) & (InvalidOperation | StackFault | C1), Is.EqualTo(InvalidOperation | StackFault));
        Assert.That(bed.ReadExtended(X87TestBed.Output), Is.EqualTo(Indefinite));
    }

    [Test]
    public void Fxch_SwapsAndFfreeEmpties()
    {
        var bed = new X87TestBed().Run(asm =>
        {
            asm.fninit();
            asm.fld1();
            asm.fldz();
            asm.fxch(st0, st1);
            asm.fstp(__qword_ptr[X87TestBed.Output]);
            asm.fstp(__qword_ptr[X87TestBed.Output + 8]);
        });

        Assert.That(bed.ReadDouble(X87TestBed.Output), Is.EqualTo(1.0));
        Assert.That(bed.ReadDouble(X87TestBed.Output + 8), Is.EqualTo(0.0));
        Assert.That(bed.Status & InvalidOperation, Is.Zero);
    }

    /// <summary>The 94-byte real-mode image (SDM vol. 1, figure 8-10 plus the registers): FIP and FDP are 20-bit linear addresses.</summary>
    [Test]
    public void Fnsave_RealMode16_LayoutAndReinitialises()
    {
        var bed = new X87TestBed().Double(X87TestBed.Input, 2.0).Run(asm =>
        {
            asm.fninit();
            asm.fld1();
            asm.fld(__qword_ptr[X87TestBed.Input]);
            asm.fnsave(__[X87TestBed.Output]);
        });

        // fninit (2) + fld1 (2) = 4 bytes, then the FLD m64 (DD /0 with disp16: DD 06 00 01).
        var fldLinear = CpuTestMachine.Physical(CpuTestMachine.CodeSegment, 4);
        var dataLinear = X87TestBed.Data(X87TestBed.Input);
        Assert.Multiple(() =>
        {
            Assert.That(bed.ReadWord(X87TestBed.Output), Is.EqualTo(0x037F), "CW");
            Assert.That(bed.ReadWord(X87TestBed.Output + 2), Is.EqualTo(6 << 11), "SW with TOP = 6");
            Assert.That(bed.ReadWord(X87TestBed.Output + 4), Is.EqualTo(0x0FFF), "tags: registers 6 and 7 valid, the rest empty");
            Assert.That(bed.ReadWord(X87TestBed.Output + 6), Is.EqualTo((ushort)fldLinear), "FIP 15:0");
            Assert.That(bed.ReadWord(X87TestBed.Output + 8), Is.EqualTo(((fldLinear >> 16) << 12) | 0x506), "FIP 19:16 and FOP (DD 06 → 5 06)");
            Assert.That(bed.ReadWord(X87TestBed.Output + 10), Is.EqualTo((ushort)dataLinear), "FDP 15:0");
            Assert.That(bed.ReadWord(X87TestBed.Output + 12), Is.EqualTo((dataLinear >> 16) << 12), "FDP 19:16");
            Assert.That(bed.ReadExtended(X87TestBed.Output + 14), Is.EqualTo("4000:8000000000000000"), "ST(0) = 2.0");
            Assert.That(bed.ReadExtended(X87TestBed.Output + 24), Is.EqualTo("3FFF:8000000000000000"), "ST(1) = 1.0");
            Assert.That(bed.ReadWord(X87TestBed.ControlWord), Is.EqualTo(0x037F), "FNSAVE ends with FNINIT");
            Assert.That(bed.Status, Is.Zero);
        });
    }

    /// <summary>With an operand-size prefix the 108-byte image: 32-bit fields, FIP 31:16 in bits 12–27 beside FOP.</summary>
    [Test]
    public void Fnsave_RealMode32_LayoutUses32BitFields()
    {
        var bed = new X87TestBed().Run(asm =>
        {
            asm.fninit();
            asm.fldpi();
            asm.db(0x66);
            asm.fnsave(__[X87TestBed.Output]);
        });

        var fldpiLinear = CpuTestMachine.Physical(CpuTestMachine.CodeSegment, 2);
        Assert.Multiple(() =>
        {
            Assert.That(bed.ReadDword(X87TestBed.Output), Is.EqualTo(0x037Fu), "CW");
            Assert.That(bed.ReadDword(X87TestBed.Output + 4), Is.EqualTo(7u << 11), "SW");
            Assert.That(bed.ReadDword(X87TestBed.Output + 8), Is.EqualTo(0x3FFFu), "tag of register 7 valid");
            Assert.That(bed.ReadDword(X87TestBed.Output + 12), Is.EqualTo(fldpiLinear & 0xFFFF), "FIP 15:0");
            Assert.That(bed.ReadDword(X87TestBed.Output + 16), Is.EqualTo(((fldpiLinear >> 16) << 12) | 0x1EB), "FIP 31:16 and FOP (D9 EB)");
            Assert.That(bed.ReadExtended(X87TestBed.Output + 28), Is.EqualTo("4000:C90FDAA22168C235"), "π rounded to nearest");
        });
    }

    [Test]
    public void Frstor_AfterFnsave_RestoresStackAndTop()
    {
        var bed = new X87TestBed().Double(X87TestBed.Input, 2.5).Run(asm =>
        {
            asm.fninit();
            asm.fld1();
            asm.fld(__qword_ptr[X87TestBed.Input]);
            asm.fnsave(__[0x400]);
            asm.fldz();
            asm.frstor(__[0x400]);
            asm.fstp(__qword_ptr[X87TestBed.Output]);
            asm.fstp(__qword_ptr[X87TestBed.Output + 8]);
        });

        Assert.That(bed.ReadDouble(X87TestBed.Output), Is.EqualTo(2.5));
        Assert.That(bed.ReadDouble(X87TestBed.Output + 8), Is.EqualTo(1.0));
        Assert.That(bed.Status, Is.Zero, "both popped: TOP back to 0, no fault");
    }

    [Test]
    public void Fnstenv_StoresThenMasksAllExceptions()
    {
        var bed = new X87TestBed().Word(X87TestBed.Input, 0x0360).Run(asm =>
        {
            asm.fninit();
            asm.fldcw(__word_ptr[X87TestBed.Input]);
            asm.fnstenv(__[X87TestBed.Output]);
        });

        Assert.That(bed.ReadWord(X87TestBed.Output), Is.EqualTo(0x0360), "stored control word");
        Assert.That(bed.ReadWord(X87TestBed.ControlWord), Is.EqualTo(0x037F), "masks set afterwards");
        Assert.That(bed.ReadWord(X87TestBed.Output + 4), Is.EqualTo(0xFFFF), "all empty");
    }

    [Test]
    public void FpuInstruction_WithCr0TsSet_RaisesDeviceNotAvailable()
    {
        var machine = MachineWithHandler(DeviceNotAvailableVector);
        machine.Load16(asm =>
        {
            SetCr0Bits(asm, TaskSwitchedBit);
            asm.fld1();
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.SI, Is.EqualTo(DeviceNotAvailableVector));
    }

    [TestCase(true, DeviceNotAvailableVector, TestName = "Fwait_TsWithMp_RaisesDeviceNotAvailable")]
    [TestCase(false, 0, TestName = "Fwait_TsWithoutMp_Runs")]
    public void Fwait_WithCr0Ts(bool monitor, int expectedVector)
    {
        var machine = MachineWithHandler(DeviceNotAvailableVector);
        machine.Load16(asm =>
        {
            asm.xor(si, si);
            SetCr0Bits(asm, TaskSwitchedBit | (monitor ? MonitorBit : 0));
            asm.wait();
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.SI, Is.EqualTo(expectedVector));
    }

    [Test]
    public void Clts_AfterTs_FpuRunsAgain()
    {
        var machine = MachineWithHandler(DeviceNotAvailableVector);
        machine.Load16(asm =>
        {
            asm.xor(si, si);
            SetCr0Bits(asm, TaskSwitchedBit);
            asm.clts();
            asm.fninit();
            asm.fld1();
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.SI, Is.Zero);
    }

    /// <summary>CR0.NE set (as Linux sets it): the unmasked ZE of FDIV is reported as #MF at the next waiting instruction, which is the one restarted.</summary>
    [Test]
    public void UnmaskedZeroDivide_WithCr0Ne_RaisesMathFaultAtNextWaitingInstruction()
    {
        var machine = new CpuTestMachine();
        machine.InstallHandler(MathFaultVector, HandlerSegment, asm =>
        {
            asm.fnstsw(ax);
            asm.pop(di);
            asm.hlt();
        });
        machine.WriteWord(CpuTestMachine.Physical(CpuTestMachine.DataSegment, 0x40), 0x037B);
        machine.Load16(asm =>
        {
            var wait = asm.CreateLabel();
            SetCr0Bits(asm, NumericErrorBit);
            asm.fninit();
            asm.fldcw(__word_ptr[0x40]);
            asm.fld1();
            asm.fldz();
            asm.fdivp(st1, st0);
            asm.mov(bx, 0x1234);
            asm.Label(ref wait);
            asm.wait();
            asm.mov(bx, 0);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.AX & (ZeroDivide | ErrorSummary | Busy), Is.EqualTo(ZeroDivide | ErrorSummary | Busy));
        Assert.That(machine.Registers.BX, Is.EqualTo(0x1234), "the instructions between run; the fault is at FWAIT");
        Assert.That(machine.Memory.ReadByte(CpuTestMachine.Physical(CpuTestMachine.CodeSegment, machine.Registers.DI)), Is.EqualTo(0x9B), "pushed IP is the FWAIT");
    }

    [Test]
    public void UnmaskedException_WithoutCr0Ne_AssertsFerrAndContinues()
    {
        var machine = new CpuTestMachine();
        var ferr = new List<bool>();
        machine.Cpu.FloatingPointError = ferr.Add;
        machine.WriteWord(CpuTestMachine.Physical(CpuTestMachine.DataSegment, 0x40), 0x037B);
        machine.Load16(asm =>
        {
            asm.fninit();
            asm.fldcw(__word_ptr[0x40]);
            asm.fld1();
            asm.fldz();
            asm.fdivp(st1, st0);
            asm.wait();
            asm.mov(bx, 0x4321);
        });

        machine.RunToHalt();

        Assert.That(ferr, Is.EqualTo(new[] { true }));
        Assert.That(machine.Registers.BX, Is.EqualTo(0x4321));
    }

    [Test]
    public void MaskedException_NeverSignals()
    {
        var machine = new CpuTestMachine();
        var ferr = new List<bool>();
        machine.Cpu.FloatingPointError = ferr.Add;
        machine.Load16(asm =>
        {
            asm.fninit();
            asm.fld1();
            asm.fldz();
            asm.fdivp(st1, st0);
            asm.wait();
            asm.fnstsw(ax);
        });

        machine.RunToHalt();

        Assert.That(ferr, Is.Empty);
        Assert.That(machine.Registers.AX & (ZeroDivide | ErrorSummary), Is.EqualTo(ZeroDivide));
    }

    /// <summary>The 28-byte protected-mode environment (SDM vol. 1, figure 8-9): FIP offset, FCS with FOP in bits 16–26, FDP, FDS.</summary>
    [Test]
    public void Fnstenv_Protected32_Layout()
    {
        const uint Operand = 0x5000;
        const uint Image = 0x5100;
        void Build(Iced.Intel.Assembler asm)
        {
            asm.fninit();
            asm.fild(__dword_ptr[Operand]);
            asm.fnstenv(__[Image]);
        }

        var machine = new PagedCpuMachine().Load(Build);
        var fildAddress = PagedCpuMachine.AddressOf(Build, 1);

        machine.RunToHalt();

        var memory = machine.Inner;
        Assert.Multiple(() =>
        {
            Assert.That(memory.ReadDword(Image) & 0xFFFF, Is.EqualTo(0x037Fu), "CW");
            Assert.That(memory.ReadDword(Image + 4) & 0xFFFF, Is.EqualTo(7u << 11), "SW");
            Assert.That(memory.ReadDword(Image + 8) & 0xFFFF, Is.EqualTo(0x7FFFu), "tag 7 zero (01), the rest empty");
            Assert.That(memory.ReadDword(Image + 12), Is.EqualTo(fildAddress), "FIP");
            Assert.That(memory.ReadDword(Image + 16), Is.EqualTo(PagedCpuMachine.KernelCode | (0x305u << 16)), "FCS and FOP (DB 05)");
            Assert.That(memory.ReadDword(Image + 20), Is.EqualTo(Operand), "FDP");
            Assert.That(memory.ReadDword(Image + 24) & 0xFFFF, Is.EqualTo((uint)PagedCpuMachine.KernelData), "FDS");
        });
    }

    /// <summary>A save image that crosses into a not-present page faults before its first byte is written and leaves the FPU as it was.</summary>
    [Test]
    public void Fnsave_IntoPartlyUnmappedImage_PageFaultsWithoutWritingOrReinitialising()
    {
        const uint Image = 0x6000 - 40;
        var machine = new PagedCpuMachine();
        machine.SetTableEntry(PagedCpuMachine.TableAddress, 6, 0);
        machine.Inner.Memory.Write(Image, [0xAA, 0xAA]);
        machine.Load(asm =>
        {
            asm.fninit();
            asm.fld1();
            asm.fnsave(__[Image]);
        });

        machine.RunToHalt();

        Assert.That(machine.FaultVector, Is.EqualTo(14u));
        Assert.That(machine.FaultCr2, Is.EqualTo(0x6000u));
        Assert.That(machine.Inner.ReadWord(Image), Is.EqualTo(0xAAAA), "nothing written");
    }

    /// <summary>FINIT is WAIT + FNINIT: with an unmasked exception pending and CR0.NE set it faults first; FNINIT does not wait.</summary>
    [TestCase(true, MathFaultVector, TestName = "Finit_PendingUnmaskedException_RaisesMathFault")]
    [TestCase(false, 0, TestName = "Fninit_PendingUnmaskedException_ClearsWithoutFault")]
    public void Initialise_WithPendingException(bool waiting, int expectedVector)
    {
        var machine = MachineWithHandler(MathFaultVector);
        machine.WriteWord(CpuTestMachine.Physical(CpuTestMachine.DataSegment, 0x40), 0x037B);
        machine.Load16(asm =>
        {
            asm.xor(si, si);
            SetCr0Bits(asm, NumericErrorBit);
            asm.fninit();
            asm.fldcw(__word_ptr[0x40]);
            asm.fld1();
            asm.fldz();
            asm.fdivp(st1, st0);
            if (waiting)
            {
                asm.finit();
            }
            else
            {
                asm.fninit();
            }

            asm.fnstsw(ax);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.SI, Is.EqualTo(expectedVector));
    }

    /// <summary>ORs <paramref name="bits"/> into CR0.</summary>
    private static void SetCr0Bits(Assembler asm, uint bits)
    {
        asm.mov(eax, cr0);
        asm.or(eax, bits);
        asm.mov(cr0, eax);
    }

    private static CpuTestMachine MachineWithHandler(byte vector)
    {
        var machine = new CpuTestMachine();
        machine.InstallHandler(vector, HandlerSegment, asm =>
        {
            asm.mov(si, vector);
            asm.hlt();
        });
        return machine;
    }
}
