using System.Text.Json.Nodes;

namespace Emulator.Monitor.Tests.Support;

/// <summary>A machine that only keeps its run state and announces changes the way QEMU's does.</summary>
internal sealed class FakeMachine(MonitorEvents events) : IMachineControl
{
    public RunState RunState { get; set; } = RunState.Running;

    public int Resets { get; private set; }

    public bool QuitRequested { get; private set; }

    public bool InPreconfig { get; set; }

    public void ExitPreconfig()
    {
        InPreconfig = false;
        Continue();
    }

    public void Stop()
    {
        if (RunState == RunState.Running)
        {
            RunState = RunState.Paused;
            events.Publish("STOP");
        }
    }

    public void Continue()
    {
        RunState = RunState.Running;
        events.Publish("RESUME");
    }

    public void Reset()
    {
        Resets++;
        events.Publish("RESET", new JsonObject { ["guest"] = false, ["reason"] = "host-qmp-system-reset" });
    }

    public void Quit()
    {
        QuitRequested = true;
        events.Publish("SHUTDOWN", new JsonObject { ["guest"] = false, ["reason"] = "host-qmp-quit" });
    }
}
