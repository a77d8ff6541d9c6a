using Emulator.Machine.Interrupts;

namespace Emulator.Benchmarks.Cpu;

/// <summary>An interrupt controller with nothing pending: measures the cost of polling INTR.</summary>
internal sealed class QuietInterruptController : IInterruptAcknowledge
{
    public bool InterruptPending => false;

    public byte Acknowledge() => 0;
}
