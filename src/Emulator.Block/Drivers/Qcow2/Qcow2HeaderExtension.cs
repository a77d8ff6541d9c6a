namespace Emulator.Block.Drivers.Qcow2;

/// <summary>One header extension as stored: its type and its data (without the padding to 8 bytes). Unknown ones are kept and written back untouched.</summary>
internal sealed record Qcow2HeaderExtension(Qcow2HeaderExtensionType Type, byte[] Data);
