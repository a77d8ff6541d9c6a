using Emulator.Machine.Bus;
using Emulator.Machine.Platform;

namespace Emulator.Machine.Tests.Platform;

public class DebugPortsTests
{
    private const ushort DebugCon = 0xE9;
    private const ushort DebugExit = 0x501;

    private IoPortBus _bus = null!;
    private List<byte> _console = null!;
    private List<int> _exits = null!;

    [SetUp]
    public void SetUp()
    {
        _console = [];
        _exits = [];
        _bus = new IoPortBus();
        new DebugConsolePort(_console.Add).RegisterPorts(_bus);
        new DebugExitPort(_exits.Add).RegisterPorts(_bus);
        _bus.Freeze();
    }

    [Test]
    public void DebugConsole_Writes_ReachSink()
    {
        _bus.WriteByte(DebugCon, (byte)'o');
        _bus.WriteByte(DebugCon, (byte)'k');

        Assert.That(_console, Is.EqualTo("ok"u8.ToArray()));
    }

    [Test]
    public void DebugConsole_Read_ReturnsE9()
    {
        Assert.That(_bus.ReadByte(DebugCon), Is.EqualTo(0xE9));
    }

    [TestCase(0u, 1)]
    [TestCase(1u, 3)]
    [TestCase(0x10u, 0x21)]
    public void DebugExit_ByteWrite_RequestsShiftedStatus(uint value, int expected)
    {
        _bus.Write(DebugExit, PortWidth.Byte, value);

        Assert.That(_exits, Is.EqualTo(new[] { expected }));
    }

    [Test]
    public void DebugExit_WordWrite_UsesWholeValue()
    {
        _bus.Write(DebugExit, PortWidth.Word, 0x0102);

        Assert.That(_exits, Is.EqualTo(new[] { 0x0205 }));
    }
}
