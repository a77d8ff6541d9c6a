namespace Emulator.Monitor.Qmp;

/// <summary>The tokens of QEMU's JSON dialect (<see cref="QmpJsonStreamer"/>).</summary>
internal enum QmpJsonTokenKind
{
    LeftBrace,
    RightBrace,
    LeftBracket,
    RightBracket,
    Comma,
    Colon,
    String,
    Integer,
    Float,
    Keyword,
}
