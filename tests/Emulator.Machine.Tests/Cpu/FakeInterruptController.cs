using Emulator.Machine.Interrupts;

namespace Emulator.Machine.Tests.Cpu;

/// <summary>An INTR line the test raises by hand; acknowledging returns the vector and drops the line.</summary>
internal sealed class FakeInterruptController : IInterruptAcknowledge
{
    public byte Vector { get; set; }

    public int Acknowledged { get; private set; }

    public bool InterruptPending { get; set; }

    public byte Acknowledge()
    {
        Acknowledged++;
        InterruptPending = false;
        return Vector;
    }
}
