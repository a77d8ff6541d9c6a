namespace Emulator.Cli.Tests.Fuzz;

/// <summary>One mutable place in a seed image: where, how wide (bytes), what it means, and which structure it belongs to (for the report).</summary>
internal readonly record struct Qcow2Field(string Structure, long Offset, int Width, Qcow2FieldKind Kind);
