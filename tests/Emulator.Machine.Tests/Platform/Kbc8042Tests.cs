using Emulator.Machine.Bus;
using Emulator.Machine.Platform;
using Emulator.Machine.Tests.Support;

namespace Emulator.Machine.Tests.Platform;

public class Kbc8042Tests
{
    private const ushort Data = 0x60;
    private const ushort Command = 0x64;
    private const byte StatusObf = 0x01;
    private const byte StatusSys = 0x04;
    private const byte CmdReadCommandByte = 0x20;
    private const byte CmdWriteCommandByte = 0x60;
    private const byte CmdTestAux = 0xA9;
    private const byte CmdSelfTest = 0xAA;
    private const byte CmdTestKeyboard = 0xAB;
    private const byte CmdDisableKeyboard = 0xAD;
    private const byte CmdEnableKeyboard = 0xAE;
    private const byte CmdReadOutputPort = 0xD0;
    private const byte CmdWriteOutputPort = 0xD1;
    private const byte CmdEnableA20 = 0xDF;
    private const byte CmdPulseReset = 0xFE;
    private const byte OutputPortA20 = 0x02;
    private const byte OutputPortNoReset = 0x01;
    private const byte KbdReset = 0xFF;
    private const byte KbdEcho = 0xEE;
    private const byte Ack = 0xFA;

    private IoPortBus _bus = null!;
    private Kbc8042 _kbc = null!;
    private RecordingIrqLine _irq1 = null!;
    private FakeA20Gate _a20 = null!;
    private int _resets;

    [SetUp]
    public void SetUp()
    {
        _irq1 = new RecordingIrqLine();
        _a20 = new FakeA20Gate();
        _resets = 0;
        _kbc = new Kbc8042(_irq1, null, _a20, () => _resets++);
        _bus = new IoPortBus();
        _kbc.RegisterPorts(_bus);
        _bus.Freeze();
    }

    private List<byte> DrainOutput()
    {
        var bytes = new List<byte>();
        while ((_bus.ReadByte(Command) & StatusObf) != 0)
        {
            bytes.Add(_bus.ReadByte(Data));
        }

        return bytes;
    }

    [Test]
    public void SelfTest_Returns55()
    {
        _bus.WriteByte(Command, CmdSelfTest);

        Assert.That(_bus.ReadByte(Data), Is.EqualTo(0x55));
    }

    [Test]
    public void SelfTest_SetsSystemFlagInStatus()
    {
        _bus.WriteByte(Command, CmdSelfTest);

        Assert.That(_bus.ReadByte(Command) & StatusSys, Is.EqualTo(StatusSys));
    }

    [Test]
    public void SelfTest_ReplyPending_StatusShowsOutputBufferFull()
    {
        _bus.WriteByte(Command, CmdSelfTest);

        Assert.That(_bus.ReadByte(Command) & StatusObf, Is.EqualTo(StatusObf));
    }

    [TestCase(CmdTestKeyboard)]
    [TestCase(CmdTestAux)]
    public void InterfaceTest_ReturnsZero(byte command)
    {
        _bus.WriteByte(Command, command);

        Assert.That(_bus.ReadByte(Data), Is.Zero);
    }

    [Test]
    public void CommandByte_Written_ReadsBack()
    {
        _bus.WriteByte(Command, CmdWriteCommandByte);
        _bus.WriteByte(Data, 0x65);

        _bus.WriteByte(Command, CmdReadCommandByte);

        Assert.That(_bus.ReadByte(Data), Is.EqualTo(0x65));
    }

    [Test]
    public void TypeText_ShiftedAndPlainLetters_Set1MakeBreakCodes()
    {
        _kbc.TypeText("Hi");

        Assert.That(DrainOutput(), Is.EqualTo(new byte[] { 0x2A, 0x23, 0xA3, 0xAA, 0x17, 0x97 }));
    }

    [Test]
    public void TypeText_DigitsSpaceAndNewline_Set1Codes()
    {
        _kbc.TypeText("1 \n");

        Assert.That(DrainOutput(), Is.EqualTo(new byte[] { 0x02, 0x82, 0x39, 0xB9, 0x1C, 0x9C }));
    }

    [Test]
    public void TapKey_UpArrow_ExtendedPrefixOnMakeAndBreak()
    {
        _kbc.TapKey(Key.Up);

        Assert.That(DrainOutput(), Is.EqualTo(new byte[] { 0xE0, 0x48, 0xE0, 0xC8 }));
    }

    [Test]
    public void TapKey_Escape_MakeAndBreak()
    {
        _kbc.TapKey(Key.Escape);

        Assert.That(DrainOutput(), Is.EqualTo(new byte[] { 0x01, 0x81 }));
    }

    [Test]
    public void TypeText_Unmappable_Throws()
    {
        Assert.That(() => _kbc.TypeText("\u00e9"), Throws.ArgumentException);
    }

    [Test]
    public void TypeText_UnmappableLater_TypesNothing()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => _kbc.TypeText("ab\u00e9"), Throws.ArgumentException);
            Assert.That(DrainOutput(), Is.Empty);
        });
    }

    [Test]
    public void KeyByte_Loaded_RaisesIrq1()
    {
        _kbc.TapKey(Key.A);

        Assert.That(_irq1.Level, Is.True);
    }

    [Test]
    public void KeyBytes_EachRead_NewIrq1Edge()
    {
        _kbc.TapKey(Key.A);

        DrainOutput();

        Assert.That(_irq1.RisingEdges, Is.EqualTo(2));
    }

    [Test]
    public void KeyByte_KeyboardInterruptDisabledInCommandByte_NoIrq1()
    {
        _bus.WriteByte(Command, CmdWriteCommandByte);
        _bus.WriteByte(Data, 0x40);

        _kbc.TapKey(Key.A);

        Assert.That(_irq1.RisingEdges, Is.Zero);
    }

    [Test]
    public void KeyByte_KeyboardDisabled_HeldUntilEnabled()
    {
        _bus.WriteByte(Command, CmdDisableKeyboard);
        _kbc.TapKey(Key.A);
        var whileDisabled = _bus.ReadByte(Command) & StatusObf;

        _bus.WriteByte(Command, CmdEnableKeyboard);

        Assert.Multiple(() =>
        {
            Assert.That(whileDisabled, Is.Zero);
            Assert.That(_bus.ReadByte(Data), Is.EqualTo(0x1E));
        });
    }

    [Test]
    public void KeyboardReset_AcksThenSelfTestPassed()
    {
        _bus.WriteByte(Data, KbdReset);

        Assert.That(DrainOutput(), Is.EqualTo(new byte[] { Ack, 0xAA }));
    }

    [Test]
    public void KeyboardEcho_RepliesEe()
    {
        _bus.WriteByte(Data, KbdEcho);

        Assert.That(DrainOutput(), Is.EqualTo(new byte[] { KbdEcho }));
    }

    [Test]
    public void WriteOutputPort_A20Set_EnablesGate()
    {
        _bus.WriteByte(Command, CmdWriteOutputPort);
        _bus.WriteByte(Data, OutputPortNoReset | OutputPortA20);

        Assert.That(_a20.A20Enabled, Is.True);
    }

    [Test]
    public void WriteOutputPort_A20Clear_DisablesGate()
    {
        _a20.A20Enabled = true;
        _bus.WriteByte(Command, CmdWriteOutputPort);
        _bus.WriteByte(Data, OutputPortNoReset);

        Assert.That(_a20.A20Enabled, Is.False);
    }

    [Test]
    public void ReadOutputPort_ReflectsA20Gate()
    {
        _bus.WriteByte(Command, CmdEnableA20);

        _bus.WriteByte(Command, CmdReadOutputPort);

        Assert.That(_bus.ReadByte(Data) & OutputPortA20, Is.EqualTo(OutputPortA20));
    }

    [Test]
    public void WriteOutputPort_ResetBitLow_RequestsReset()
    {
        _bus.WriteByte(Command, CmdWriteOutputPort);
        _bus.WriteByte(Data, OutputPortA20);

        Assert.That(_resets, Is.EqualTo(1));
    }

    [Test]
    public void TranslationOff_KeyTap_Set2MakeAndF0Break()
    {
        _bus.WriteByte(Command, CmdWriteCommandByte);
        _bus.WriteByte(Data, 0x01);

        _kbc.TapKey(Key.A);

        Assert.That(DrainOutput(), Is.EqualTo(new byte[] { 0x1C, 0xF0, 0x1C }));
    }

    [Test]
    public void TranslationOff_ExtendedKey_E0PrefixedSet2()
    {
        _bus.WriteByte(Command, CmdWriteCommandByte);
        _bus.WriteByte(Data, 0x01);

        _kbc.TapKey(Key.Left);

        Assert.That(DrainOutput(), Is.EqualTo(new byte[] { 0xE0, 0x6B, 0xE0, 0xF0, 0x6B }));
    }

    [Test]
    public void Identify_TranslationOn_AckThenTranslatedMf2Id()
    {
        _bus.WriteByte(Data, 0xF2);

        Assert.That(DrainOutput(), Is.EqualTo(new byte[] { Ack, 0xAB, 0x41 }));
    }

    [Test]
    public void GetScanCodeSet_TranslationOff_ReportsSet2()
    {
        _bus.WriteByte(Command, CmdWriteCommandByte);
        _bus.WriteByte(Data, 0x01);

        _bus.WriteByte(Data, 0xF0);
        _bus.WriteByte(Data, 0x00);

        Assert.That(DrainOutput(), Is.EqualTo(new byte[] { Ack, Ack, 0x02 }));
    }

    [Test]
    public void ScanCodeSet1Selected_TranslationOff_KeyboardSendsSet1()
    {
        _bus.WriteByte(Command, CmdWriteCommandByte);
        _bus.WriteByte(Data, 0x01);
        _bus.WriteByte(Data, 0xF0);
        _bus.WriteByte(Data, 0x01);
        DrainOutput();

        _kbc.TapKey(Key.A);

        Assert.That(DrainOutput(), Is.EqualTo(new byte[] { 0x1E, 0x9E }));
    }

    [Test]
    public void PulseResetCommand_RequestsReset()
    {
        _bus.WriteByte(Command, CmdPulseReset);

        Assert.That(_resets, Is.EqualTo(1));
    }

    [Test]
    public void MouseReset_ViaWriteAux_AckSelfTestAndId()
    {
        _bus.WriteByte(Command, 0xD4);
        _bus.WriteByte(Data, 0xFF);

        Assert.That(DrainOutput(), Is.EqualTo(new byte[] { Ack, 0xAA, 0x00 }));
    }

    [Test]
    public void MouseByte_Loaded_StatusShowsAuxOutputBufferFull()
    {
        _bus.WriteByte(Command, 0xD4);
        _bus.WriteByte(Data, 0xF2);

        Assert.That(_bus.ReadByte(Command) & 0x21, Is.EqualTo(0x21));
    }

    [Test]
    public void MouseMove_ReportingEnabled_ThreeBytePacket()
    {
        _bus.WriteByte(Command, 0xD4);
        _bus.WriteByte(Data, 0xF4);
        DrainOutput();

        _kbc.MoveMouse(5, -3, MouseButtons.Left);

        Assert.That(DrainOutput(), Is.EqualTo(new byte[] { 0x29, 0x05, 0xFD }));
    }

    [Test]
    public void MouseMove_ReportingDisabled_NoPacket()
    {
        _kbc.MoveMouse(5, -3, MouseButtons.None);

        Assert.That(DrainOutput(), Is.Empty);
    }

    [Test]
    public void WriteAuxOutput_EchoesAsAuxByte()
    {
        _bus.WriteByte(Command, 0xD3);
        _bus.WriteByte(Data, 0x5A);

        Assert.Multiple(() =>
        {
            Assert.That(_bus.ReadByte(Command) & 0x20, Is.EqualTo(0x20));
            Assert.That(_bus.ReadByte(Data), Is.EqualTo(0x5A));
        });
    }
}
