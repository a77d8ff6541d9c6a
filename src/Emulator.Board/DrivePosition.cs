namespace Emulator.Board;

/// <summary>Where a drive sits on its interface: QEMU's bus and unit, the flat index (bus × units per bus + unit) and the backend name QEMU gives it.</summary>
public readonly record struct DrivePosition(string Interface, int Bus, int Unit, int Index, string Name);
