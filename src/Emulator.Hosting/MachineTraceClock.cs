using Emulator.Block.Tracing;
using Emulator.Machine.Loop;

namespace Emulator.Hosting;

/// <summary>The machine's virtual clock and instruction count as the I/O tracer reads them (both move once per CPU slice).</summary>
internal sealed class MachineTraceClock(PcMachine machine) : IIoTraceClock
{
    public long VirtualNanoseconds => machine.Clock.Now;

    public long GuestInstructions => machine.InstructionsExecuted;
}
