namespace Emulator.Machine.Interrupts;

/// <summary>An interrupt the I/O APIC sends towards the local APICs: the redirection entry that fired.</summary>
public readonly record struct IoApicMessage(int Pin, byte Vector, int DeliveryMode, bool LogicalDestination, byte Destination, bool LevelTriggered);
