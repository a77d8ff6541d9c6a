using static Emulator.Devices.Tests.Floppy.FloppyTestBed;

namespace Emulator.Devices.Tests.Floppy;

/// <summary>Reset, SENSE INTERRUPT STATUS, MSR per phase and the identification commands, through ports only.</summary>
public class FloppyRegisterTests
{
    private const long Image144 = 1_474_560;
    private const byte SenseInterrupt = 0x08;
    private const byte Version = 0x10;
    private const byte PartId = 0x18;
    private const byte Specify = 0x03;
    private const byte Recalibrate = 0x07;
    private const byte DumpReg = 0x0E;
    private const byte LockOn = 0x94;
    private const byte LockOff = 0x14;
    private const byte ReadData = 0x46;

    private FloppyTestBed _bed = null!;

    [SetUp]
    public void SetUp()
    {
        _bed = new FloppyTestBed();
        _bed.AttachImage(0, Image144);
        _bed.Start();
    }

    [TearDown]
    public void TearDown() => _bed.Dispose();

    [Test]
    public void DorReset_RaisesIrqAndFourSenseInterruptsReportEachDrive()
    {
        _bed.Out(Dor, DorInReset);
        _bed.Out(Dor, DorRunDriveA);
        var irqAfterReset = _bed.Irq;

        var answers = new List<byte[]>();
        for (var i = 0; i < 4; i++)
        {
            _bed.Command(SenseInterrupt);
            answers.Add(_bed.Result(2));
        }

        Assert.Multiple(() =>
        {
            Assert.That(irqAfterReset, Is.True);
            Assert.That(answers.Select(a => a[0]), Is.EqualTo(new byte[] { 0xC0, 0xC1, 0xC2, 0xC3 }));
            Assert.That(answers.Select(a => a[1]), Is.All.EqualTo(0));
            Assert.That(_bed.Irq, Is.False);
        });
    }

    [Test]
    public void SenseInterrupt_NothingPending_AnswersInvalidCommandByte()
    {
        _bed.ResetController();

        _bed.Command(SenseInterrupt);
        var result = _bed.Result(1);

        Assert.Multiple(() =>
        {
            Assert.That(result[0], Is.EqualTo(0x80));
            Assert.That(_bed.In(Msr), Is.EqualTo(Rqm));
        });
    }

    [Test]
    public void SoftwareResetThroughDsr_RaisesIrqWithReadyChange()
    {
        _bed.ResetController();

        _bed.Out(Dsr, 0x80);
        var irq = _bed.Irq;
        _bed.Command(SenseInterrupt);
        var first = _bed.Result(2);

        Assert.Multiple(() =>
        {
            Assert.That(irq, Is.True);
            Assert.That(first[0], Is.EqualTo(0xC0));
        });
    }

    [Test]
    public void Msr_IdleCommandPhase_IsRqmOnly()
    {
        _bed.ResetController();

        Assert.That(_bed.In(Msr), Is.EqualTo(Rqm));
    }

    [Test]
    public void Msr_AfterFirstByteOfMultiByteCommand_IsRqmAndBusy()
    {
        _bed.ResetController();

        _bed.Out(Fifo, Specify);

        Assert.That(_bed.In(Msr), Is.EqualTo(Rqm | Busy));
    }

    [Test]
    public void Msr_ResultPhase_IsRqmDioBusy_ThenBackToIdle()
    {
        _bed.ResetController();

        _bed.Out(Fifo, Version);
        var inResult = _bed.In(Msr);
        var version = _bed.In(Fifo);
        var after = _bed.In(Msr);

        Assert.Multiple(() =>
        {
            Assert.That(inResult, Is.EqualTo(Rqm | Dio | Busy));
            Assert.That(version, Is.EqualTo(0x90));
            Assert.That(after, Is.EqualTo(Rqm));
        });
    }

    [Test]
    public void Msr_DmaExecutionPhase_HasRqmClear()
    {
        _bed.ResetController();
        _bed.Out(DmaSingleMask, DmaMaskCh2);

        _bed.Command(ReadData, 0x00, 0, 0, 1, 2, 1, 0x1B, 0xFF);

        Assert.That(_bed.In(Msr), Is.EqualTo(Busy));
    }

    [Test]
    public void Msr_NonDmaReadExecution_IsRqmDioNonDmaBusy()
    {
        _bed.ResetController();
        _bed.Command(Specify, 0xAF, 0x03);

        _bed.Command(ReadData, 0x00, 0, 0, 1, 2, 1, 0x1B, 0xFF);
        _bed.WaitFor(() => (_bed.In(Msr) & Rqm) != 0, "the first sector");

        Assert.That(_bed.In(Msr), Is.EqualTo(Rqm | Dio | NonDma | Busy));
    }

    [Test]
    public void FifoRead_OutsideResultPhase_ReturnsZero()
    {
        _bed.ResetController();

        Assert.That(_bed.In(Fifo), Is.EqualTo(0));
    }

    [Test]
    public void PartId_AnswersStepping()
    {
        _bed.ResetController();

        _bed.Command(PartId);

        Assert.That(_bed.Result(1)[0], Is.EqualTo(0x41));
    }

    [TestCase((byte)0x01)]
    [TestCase((byte)0x1F)]
    [TestCase((byte)0xCD)]
    [TestCase((byte)0xFF)]
    public void InvalidCommandByte_AnswersSt0Invalid(byte command)
    {
        _bed.ResetController();

        _bed.Command(command);
        var needsParameters = (_bed.In(Msr) & Dio) == 0;
        while (needsParameters)
        {
            _bed.Out(Fifo, 0);
            needsParameters = (_bed.In(Msr) & Dio) == 0;
        }

        Assert.That(_bed.Result(1)[0], Is.EqualTo(0x80));
    }

    [Test]
    public void Recalibrate_RaisesIrq_SenseReportsSeekEndAndTrackZero()
    {
        _bed.ResetController();

        _bed.Command(Recalibrate, 0x00);
        var irq = _bed.Irq;
        _bed.Command(SenseInterrupt);
        var result = _bed.Result(2);

        Assert.Multiple(() =>
        {
            Assert.That(irq, Is.True);
            Assert.That(result, Is.EqualTo(new byte[] { 0x20, 0 }));
            Assert.That(_bed.Irq, Is.False);
        });
    }

    [Test]
    public void Lock_SetAndClear_AnswersLockBit()
    {
        _bed.ResetController();

        _bed.Command(LockOn);
        var on = _bed.Result(1)[0];
        _bed.Command(LockOff);
        var off = _bed.Result(1)[0];

        Assert.Multiple(() =>
        {
            Assert.That(on, Is.EqualTo(0x10));
            Assert.That(off, Is.EqualTo(0x00));
        });
    }

    [Test]
    public void DumpReg_ReportsSpecifyValuesAndSectorsPerTrack()
    {
        _bed.ResetController();
        _bed.Command(Specify, 0xAF, 0x02);

        _bed.Command(DumpReg);
        var dump = _bed.Result(10);

        Assert.Multiple(() =>
        {
            Assert.That(dump[4], Is.EqualTo(0x0A), "step rate");
            Assert.That(dump[5], Is.EqualTo(0x03), "head load << 1 | DMA");
            Assert.That(dump[6], Is.EqualTo(18), "sectors per track");
        });
    }

    [Test]
    public void Dor_ReadBack_ShowsWrittenValue()
    {
        _bed.ResetController(DorRunDriveA);

        // The reset edge re-initialises SRB (as QEMU does); a write without an edge updates the motor mirror.
        _bed.Out(Dor, DorRunDriveA);

        Assert.Multiple(() =>
        {
            Assert.That(_bed.In(Dor), Is.EqualTo(DorRunDriveA));
            Assert.That(_bed.In(Srb) & 0x01, Is.EqualTo(0x01), "motor 0 mirrored in SRB");
        });
    }

    [Test]
    public void Ports3F0And3F6_AreNotDecoded_AndFloatHigh()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_bed.In(Sra), Is.EqualTo(0xFF), "SRA is not decoded on the ISA card");
            Assert.That(_bed.In(0x3F6), Is.EqualTo(0xFF), "0x3F6 belongs to IDE");
        });
    }

    [Test]
    public void WritesWhileInReset_AreIgnored()
    {
        _bed.ResetController();
        _bed.Out(Dor, DorInReset);

        _bed.Out(Fifo, Version);
        _bed.Out(Dor, DorRunDriveA);
        _bed.Command(SenseInterrupt);
        var sense = _bed.Result(2);

        Assert.That(sense[0], Is.EqualTo(0xC0), "the VERSION byte written in reset was dropped");
    }

    [Test]
    public void Cmos_ReportsDriveTypeAndEquipment()
    {
        
        Assert.Multiple(() =>
        {
            Assert.That(_bed.Cmos(0x10), Is.EqualTo(0x40), "1.44 MB in drive A");
            Assert.That(_bed.Cmos(0x14) & 0xC1, Is.EqualTo(0x01), "one diskette drive");
        });
    }

    [Test]
    public void SystemReset_ReturnsControllerToIdle()
    {
        _bed.ResetController();
        _bed.Out(Fifo, Specify);

        _bed.Machine.RequestReset();
        _bed.Machine.Run(Emulator.Machine.Loop.RunLimits.UntilIdle);

        Assert.Multiple(() =>
        {
            Assert.That(_bed.In(Msr), Is.EqualTo(Rqm));
            Assert.That(_bed.Irq, Is.False);
        });
    }
}
