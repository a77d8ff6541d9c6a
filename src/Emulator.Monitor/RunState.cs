namespace Emulator.Monitor;

/// <summary>QAPI RunState values the machine reports through <c>query-status</c>.</summary>
public enum RunState
{
    /// <summary>Created, not started yet (<c>-S</c>).</summary>
    Prelaunch,
    /// <summary>The guest runs.</summary>
    Running,
    /// <summary>Stopped by the monitor (<c>stop</c>).</summary>
    Paused,
    /// <summary>Stopped by a block error policy (<c>werror=stop</c>, <c>rerror=stop</c>).</summary>
    IoError,
    /// <summary>The guest shut down (with <c>-no-shutdown</c>) or the machine is quitting.</summary>
    Shutdown,
    /// <summary>Part of the QAPI enumeration; not reported by this machine.</summary>
    InternalError,
}
