namespace Emulator.Board;

/// <summary>A board description the pc machine cannot build (a drive position taken or absent), with QEMU's wording.</summary>
public sealed class BoardException(string message) : Exception(message);
