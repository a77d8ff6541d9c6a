using Emulator.Block.Tracing;
using Emulator.Machine.Loop;

namespace Emulator.Hosting;

/// <summary>
/// The machine's virtual clock and instruction count as the I/O tracer reads them. On the machine thread
/// (a port or MMIO access in the middle of a CPU slice: the guest's submit, its status read) both are exact
/// to the instruction: the slice's progress is added to the values the loop publishes at each slice end.
/// Any other thread (an I/O worker finishing a request) reads the published values, which lag by at most
/// one slice: the CPU's in-slice progress is private to the machine thread and a read from elsewhere
/// could pair a new slice total with the old slice's progress.
/// </summary>
internal sealed class MachineTraceClock(PcMachine machine) : IIoTraceClock
{
    public long VirtualNanoseconds => machine.IsMachineThread ? machine.Clock.PreciseNow : machine.Clock.Now;

    public long GuestInstructions => machine.IsMachineThread ? machine.Cpu.InstructionsSoFar : machine.InstructionsExecuted;
}
