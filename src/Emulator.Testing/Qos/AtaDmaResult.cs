namespace Emulator.Testing.Qos;

/// <summary>
/// What a bus-master transfer ended with: the bus master status (ACTIVE, ERROR, INTR bits), whether the
/// channel's IRQ line was raised before the status was read, the ATA status (read after, which acknowledges
/// INTRQ) and error registers, and whether the line dropped on that read.
/// </summary>
public readonly record struct AtaDmaResult(byte BusMasterStatus, bool IrqRaised, byte Status, byte Error, bool IrqAfterStatusRead);
