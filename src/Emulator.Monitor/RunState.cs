namespace Emulator.Monitor;

/// <summary>QAPI RunState values the machine reports through <c>query-status</c>.</summary>
public enum RunState
{
    Prelaunch,
    Running,
    Paused,
    IoError,
    Shutdown,
    InternalError,
}
