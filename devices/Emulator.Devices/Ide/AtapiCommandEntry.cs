namespace Emulator.Devices.Ide;

/// <summary>One row of the packet command table: the handler (given the 12-byte packet) and its prologue flags.</summary>
internal readonly record struct AtapiCommandEntry(Action<AtapiCdrom, byte[]>? Handler, AtapiCommandFlags Flags);
