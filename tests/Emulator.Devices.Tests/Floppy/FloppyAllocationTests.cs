using static Emulator.Devices.Tests.Floppy.FloppyTestBed;

namespace Emulator.Devices.Tests.Floppy;

/// <summary>The guest I/O path allocates nothing per command once warm (device-owned request and buffers).</summary>
public class FloppyAllocationTests
{
    private const byte ReadData = 0x46;
    private const byte WriteData = 0x45;
    private const uint Buffer = 0x10000;

    [TestCase(ReadData, DmaModeWriteCh2)]
    [TestCase(WriteData, DmaModeReadCh2)]
    public void DmaCommand_WhenWarm_AllocatesNothingOnTheMachineThread(byte command, byte dmaMode)
    {
        using var bed = new FloppyTestBed();
        bed.AttachImage(0, 1_474_560);
        bed.Start();
        bed.ResetController();
        void RunOne() => bed.RunTwoSectorDmaCommand(command, dmaMode, Buffer);

        RunOne();
        RunOne();
        var before = GC.GetAllocatedBytesForCurrentThread();
        RunOne();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(allocated, Is.EqualTo(0));
    }
}
