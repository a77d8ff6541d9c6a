using Emulator.Machine.Interrupts;

namespace Emulator.Machine.Tests.Interrupts;

public class IoApicTests
{
    private const ulong IoRegSel = 0x00;
    private const ulong IoWin = 0x10;
    private const byte RegVersion = 0x01;
    private const byte RedirectionBase = 0x10;
    private const uint Masked = 0x1_0000;
    private const uint LevelTriggered = 0x8000;
    private const uint RemoteIrr = 0x4000;

    private IoApic _ioApic = null!;
    private List<IoApicMessage> _delivered = null!;

    [SetUp]
    public void SetUp()
    {
        _ioApic = new IoApic();
        _delivered = [];
        _ioApic.Delivered += _delivered.Add;
    }

    private uint ReadRegister(byte index)
    {
        _ioApic.WriteMmio(IoRegSel, index);
        return _ioApic.ReadMmio(IoWin);
    }

    private void WriteRegister(byte index, uint value)
    {
        _ioApic.WriteMmio(IoRegSel, index);
        _ioApic.WriteMmio(IoWin, value);
    }

    private static byte Low(int pin) => (byte)(RedirectionBase + (2 * pin));

    [Test]
    public void Version_Reports24Entries()
    {
        Assert.That((ReadRegister(RegVersion) >> 16) & 0xFF, Is.EqualTo(23u));
    }

    [Test]
    public void Redirection_AtReset_Masked()
    {
        Assert.That(ReadRegister(Low(5)) & Masked, Is.EqualTo(Masked));
    }

    [Test]
    public void Redirection_Written_ReadsBack()
    {
        WriteRegister(Low(4), 0x34);
        WriteRegister((byte)(Low(4) + 1), 0x0100_0000);

        Assert.Multiple(() =>
        {
            Assert.That(ReadRegister(Low(4)), Is.EqualTo(0x34u));
            Assert.That(ReadRegister((byte)(Low(4) + 1)), Is.EqualTo(0x0100_0000u));
        });
    }

    [Test]
    public void IsaIrq0_DeliversThroughRedirectionEntry2()
    {
        WriteRegister(Low(2), 0x30);
        var lines = new IsaIrqLines(_ioApic);

        lines[0].Raise();

        Assert.That(_delivered.Select(m => (m.Pin, m.Vector)), Is.EqualTo(new[] { (2, (byte)0x30) }));
    }

    [Test]
    public void IsaIrq0_ReportedAsInput0LikeQtest()
    {
        var seen = new List<(int, bool)>();
        _ioApic.InputChanged += (input, level) => seen.Add((input, level));
        var lines = new IsaIrqLines(_ioApic);

        lines[0].Raise();

        Assert.That(seen, Is.EqualTo(new[] { (0, true) }));
    }

    [Test]
    public void Intercepted_InputRaised_ReportedButNotDelivered()
    {
        WriteRegister(Low(4), 0x34);
        _ioApic.Intercepted = true;

        _ioApic.SetInput(4, true);

        Assert.Multiple(() =>
        {
            Assert.That(_ioApic.GetInputLevel(4), Is.True);
            Assert.That(_delivered, Is.Empty);
        });
    }

    [Test]
    public void InputChanged_ReportsEveryLevelChange()
    {
        var seen = new List<(int, bool)>();
        _ioApic.InputChanged += (input, level) => seen.Add((input, level));
        var lines = new IsaIrqLines(_ioApic);

        ((IIrqLine)lines[4]).Pulse();

        Assert.That(seen, Is.EqualTo(new[] { (4, true), (4, false) }));
    }

    [Test]
    public void EdgeEntry_Unmasked_DeliversVectorOnRisingEdge()
    {
        WriteRegister(Low(4), 0x34);

        _ioApic.SetInput(4, true);

        Assert.That(_delivered.Select(m => m.Vector), Is.EqualTo(new byte[] { 0x34 }));
    }

    [Test]
    public void MaskedEntry_PinRaised_NothingDelivered()
    {
        WriteRegister(Low(4), 0x34 | Masked);

        _ioApic.SetInput(4, true);

        Assert.That(_delivered, Is.Empty);
    }

    [Test]
    public void LevelEntry_Delivered_SetsRemoteIrrUntilEoi()
    {
        WriteRegister(Low(9), 0x41 | LevelTriggered);
        _ioApic.SetInput(9, true);

        Assert.That(ReadRegister(Low(9)) & RemoteIrr, Is.EqualTo(RemoteIrr));
    }

    [Test]
    public void LevelEntry_EoiWhileStillAsserted_DeliversAgain()
    {
        WriteRegister(Low(9), 0x41 | LevelTriggered);
        _ioApic.SetInput(9, true);

        _ioApic.EndOfInterrupt(0x41);

        Assert.That(_delivered, Has.Count.EqualTo(2));
    }
}
