namespace Emulator.Monitor.Qmp;

/// <summary>One token as the client sent it (a string keeps its quotes and escapes; the parser decodes it).</summary>
internal readonly record struct QmpJsonToken(QmpJsonTokenKind Kind, byte[] Text);
