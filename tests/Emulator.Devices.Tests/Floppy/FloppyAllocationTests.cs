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
        // The harness's own helpers allocate (closures, arrays), so this command is driven by hand.
        void RunOne()
        {
            bed.ProgramDma(dmaMode, Buffer, 2 * SectorBytes);
            bed.Out(Fifo, command);
            bed.Out(Fifo, 0x00);
            bed.Out(Fifo, 0);
            bed.Out(Fifo, 0);
            bed.Out(Fifo, 1);
            bed.Out(Fifo, 2);
            bed.Out(Fifo, 2);
            bed.Out(Fifo, 0x1B);
            bed.Out(Fifo, 0xFF);
            var waits = 0;
            while (bed.In(Msr) != (Rqm | Dio | Busy))
            {
                if (++waits > 10_000)
                {
                    Assert.Fail("the command did not reach its result phase");
                }

                if (bed.Layer.Completions.RunPending() == 0)
                {
                    bed.Layer.Completions.WaitForPending(TimeSpan.FromMilliseconds(5));
                }
            }

            for (var i = 0; i < 7; i++)
            {
                bed.In(Fifo);
            }
        }

        RunOne();
        RunOne();
        var before = GC.GetAllocatedBytesForCurrentThread();
        RunOne();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(allocated, Is.EqualTo(0));
    }
}
