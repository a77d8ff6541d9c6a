namespace Emulator.Machine.Interrupts;

/// <summary>
/// The CPU's view of the interrupt controller: the INTR line and the interrupt-acknowledge cycle
/// that returns the vector (the 8259A pair on a PC).
/// </summary>
public interface IInterruptAcknowledge
{
    /// <summary>True while the controller asserts INTR to the CPU.</summary>
    bool InterruptPending { get; }

    /// <summary>Runs the INTA cycle: returns the vector of the highest-priority request and marks it in service.</summary>
    byte Acknowledge();
}
