using static Emulator.Devices.Tests.Floppy.FloppyTestBed;

namespace Emulator.Devices.Tests.Floppy;

/// <summary>Non-DMA (SPECIFY ND) transfers: the host moves every byte through the FIFO, pacing itself on MSR.</summary>
public class FloppyNonDmaTests
{
    private const byte Specify = 0x03;
    private const byte StepRate = 0xAF;
    private const byte HeadLoadNonDma = 0x03;
    private const byte ReadData = 0x46;
    private const byte ReadDataMultiTrack = 0xC6;
    private const byte WriteData = 0x45;
    private const byte SizeCode512 = 2;
    private const byte Gap = 0x1B;
    private const byte Dtl = 0xFF;

    private FloppyTestBed _bed = null!;

    [SetUp]
    public void SetUp()
    {
        _bed = new FloppyTestBed();
        _bed.AttachImage(0, 1_474_560);
        _bed.Start();
        _bed.ResetController();
        _bed.Command(Specify, StepRate, HeadLoadNonDma);
    }

    [TearDown]
    public void TearDown() => _bed.Dispose();

    private byte[] ReadExecutionBytes(int count)
    {
        var data = new byte[count];
        for (var i = 0; i < count; i++)
        {
            _bed.WaitFor(() => (_bed.In(Msr) & (Rqm | NonDma)) == (Rqm | NonDma), "a data byte");
            data[i] = _bed.In(Fifo);
        }

        return data;
    }

    // As QEMU (checked against the reference): a non-DMA read ends on the last sector it read, so the
    // result names that sector, not the next one as a DMA read's does.
    [TestCase(1, ReadData, 1, 1, new byte[] { 0, 0, 1 })]
    [TestCase(18, ReadData, 1, 18, new byte[] { 0, 0, 18 })]
    [TestCase(19, ReadDataMultiTrack, 18, 18, new byte[] { 0, 1, 18 })]
    public void Read_Sectors_ThroughFifo_MatchImage(int sectors, byte command, byte start, byte eot, byte[] lastChr)
    {
        _bed.Command(command, 0x00, 0, 0, start, SizeCode512, eot, Gap, Dtl);
        _bed.WaitFor(() => _bed.Irq, "the execution-phase interrupt");
        var data = ReadExecutionBytes(sectors * SectorBytes);
        var result = _bed.Result(7);

        var first = (start - 1) * SectorBytes;
        Assert.Multiple(() =>
        {
            Assert.That(data, Is.EqualTo(Enumerable.Range(first, data.Length).Select(i => Pattern(i)).ToArray()));
            Assert.That(result[0] & 0xC0, Is.EqualTo(0));
            Assert.That(result.AsSpan(3, 3).ToArray(), Is.EqualTo(lastChr));
            Assert.That(_bed.In(Msr), Is.EqualTo(Rqm));
        });
    }

    [Test]
    public void Read_BetweenSectors_RqmDropsWhileTheMediumIsBusy()
    {
        _bed.Command(ReadData, 0x00, 0, 0, 1, SizeCode512, 2, Gap, Dtl);
        ReadExecutionBytes(SectorBytes);

        var between = _bed.In(Msr);

        Assert.That(between & (Rqm | NonDma | Dio), Is.EqualTo(NonDma | Dio).Or.EqualTo(Rqm | NonDma | Dio));
    }

    [Test]
    public void Read_EotPastTheTrack_EndsAtTheTrackEndWithAResult()
    {
        _bed.Command(ReadData, 0x00, 0, 0, 18, SizeCode512, 0xFF, Gap, Dtl);
        var data = ReadExecutionBytes(SectorBytes);
        var result = _bed.Result(7);

        Assert.Multiple(() =>
        {
            Assert.That(data, Is.EqualTo(Enumerable.Range(17 * SectorBytes, SectorBytes).Select(i => Pattern(i)).ToArray()));
            Assert.That(result.AsSpan(3, 3).ToArray(), Is.EqualTo(new byte[] { 1, 0, 1 }));
            Assert.That(_bed.In(Msr), Is.EqualTo(Rqm));
        });
    }

    [Test]
    public void Read_TwoSectors_OneInterruptForTheWholeTransfer()
    {
        _bed.Command(ReadData, 0x00, 0, 0, 1, SizeCode512, 2, Gap, Dtl);
        _bed.WaitFor(() => _bed.Irq, "the execution-phase interrupt");
        var edges = 0;
        var last = true;
        for (var i = 0; i < 2 * SectorBytes; i++)
        {
            _bed.WaitFor(() => (_bed.In(Msr) & (Rqm | NonDma)) == (Rqm | NonDma), "a data byte");
            edges += _bed.Irq != last ? 1 : 0;
            last = _bed.Irq;
            _bed.In(Fifo);
        }

        Assert.That((edges, last), Is.EqualTo((0, true)), "QEMU raises IRQ 6 once when a non-DMA transfer starts");
    }

    [Test]
    public void Write_TwoSectors_ThroughFifo_LandInImage()
    {
        var data = Enumerable.Range(0, 2 * SectorBytes).Select(i => (byte)(0xFF - (i % 200))).ToArray();

        _bed.Command(WriteData, 0x00, 1, 0, 4, SizeCode512, 5, Gap, Dtl);
        _bed.WaitFor(() => _bed.Irq, "the execution-phase interrupt");
        var msr = _bed.In(Msr);
        foreach (var b in data)
        {
            _bed.WaitFor(() => (_bed.In(Msr) & (Rqm | Dio | NonDma)) == (Rqm | NonDma), "room for a data byte");
            _bed.Out(Fifo, b);
        }

        var result = _bed.Result(7);
        _bed.Settle();

        var offset = ((1 * 2 * 18) + 3) * SectorBytes;
        Assert.Multiple(() =>
        {
            Assert.That(msr, Is.EqualTo(Rqm | NonDma | Busy));
            Assert.That(_bed.ImageBytes().AsSpan(offset, data.Length).ToArray(), Is.EqualTo(data));
            Assert.That(result[0] & 0xC0, Is.EqualTo(0));
            Assert.That(result.AsSpan(3, 3).ToArray(), Is.EqualTo(new byte[] { 2, 0, 1 }));
        });
    }
}
