namespace Emulator.Testing.Qos;

/// <summary>
/// What a bus-master transfer ended with: the bus master status (ACTIVE, ERROR, INTR bits), whether the
/// channel's IRQ line was raised before the status was read, the ATA status (read after, which acknowledges
/// INTRQ) and error registers, and whether the line dropped on that read.
/// </summary>
/// <param name="BusMasterStatus">The bus master status register when the transfer stopped (ACTIVE 01h, ERROR 02h, INTR 04h).</param>
/// <param name="IrqRaised">Whether the channel's intercepted IRQ line was high before the ATA status was read.</param>
/// <param name="Status">The ATA status register, read after the transfer (which acknowledges INTRQ).</param>
/// <param name="Error">The ATA error register.</param>
/// <param name="IrqAfterStatusRead">Whether the IRQ line was still high after the status read.</param>
public readonly record struct AtaDmaResult(byte BusMasterStatus, bool IrqRaised, byte Status, byte Error, bool IrqAfterStatusRead);
