using Emulator.Machine.Bus;
using Emulator.Machine.Platform;
using Emulator.Machine.Tests.Support;

namespace Emulator.Machine.Tests.Platform;

public class SystemControlPortATests
{
    private const ushort Port92 = 0x92;
    private const byte FastA20 = 0x02;
    private const byte FastReset = 0x01;

    private IoPortBus _bus = null!;
    private FakeA20Gate _a20 = null!;
    private int _resets;

    [SetUp]
    public void SetUp()
    {
        _a20 = new FakeA20Gate();
        _resets = 0;
        _bus = new IoPortBus();
        new SystemControlPortA(_a20, () => _resets++).RegisterPorts(_bus);
        _bus.Freeze();
    }

    [Test]
    public void Write_A20Bit_EnablesGate()
    {
        _bus.WriteByte(Port92, FastA20);

        Assert.That(_a20.A20Enabled, Is.True);
    }

    [Test]
    public void Write_A20BitCleared_DisablesGate()
    {
        _bus.WriteByte(Port92, FastA20);

        _bus.WriteByte(Port92, 0);

        Assert.That(_a20.A20Enabled, Is.False);
    }

    [Test]
    public void Read_GateEnabledElsewhere_ShowsA20Bit()
    {
        _a20.A20Enabled = true;

        Assert.That(_bus.ReadByte(Port92) & FastA20, Is.EqualTo(FastA20));
    }

    [Test]
    public void Write_ResetBitRising_RequestsReset()
    {
        _bus.WriteByte(Port92, FastReset);

        Assert.That(_resets, Is.EqualTo(1));
    }

    [Test]
    public void Write_ResetBitHeld_DoesNotRequestAgain()
    {
        _bus.WriteByte(Port92, FastReset);

        _bus.WriteByte(Port92, FastReset | FastA20);

        Assert.That(_resets, Is.EqualTo(1));
    }
}
