using Emulator.Block.Backend;
using Emulator.Block.Drivers.NullCo;
using Emulator.Block.Tests.Support;

namespace Emulator.Block.Tests.Drivers;

public class NullDriverTests
{
    private BlockHarness _h = null!;

    [SetUp]
    public void SetUp() => _h = new BlockHarness();

    [TearDown]
    public void TearDown() => _h.Dispose();

    [Test]
    public void Read_ReadZeroes_ClearsBuffer()
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions(), new NullNodeOptions { Size = 4096 });
        var buffer = Enumerable.Repeat((byte)0xAB, 512).ToArray();

        backend.Read(0, buffer);

        Assert.That(buffer, Is.All.Zero);
    }

    [Test]
    public void Read_NoReadZeroes_LeavesBuffer()
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions(), new NullNodeOptions { ReadZeroes = false });
        var buffer = Enumerable.Repeat((byte)0xAB, 512).ToArray();

        backend.Read(0, buffer);

        Assert.That(buffer, Is.All.EqualTo(0xAB));
    }

    [Test]
    public void Write_Dropped_LengthUnchanged()
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions(), new NullNodeOptions { Size = 4096 });

        Assert.Multiple(() =>
        {
            Assert.That(backend.Write(0, new byte[512]), Is.EqualTo(BlockError.None));
            Assert.That(backend.Length, Is.EqualTo(4096));
        });
    }
}
