using System.Text.Json.Nodes;
using Emulator.Machine.Loop;

namespace Emulator.Monitor.Machine;

/// <summary>
/// The monitor's view of a <see cref="PcMachine"/>: run state for query-status, stop/cont/system_reset/
/// quit, and the QMP events those produce (STOP, RESUME, RESET, SHUTDOWN with QEMU's data).
/// </summary>
public sealed class MachineControl : IMachineControl
{
    private readonly PcMachine _machine;
    private readonly MonitorEvents _events;
    private bool _quitting;
    private bool _prelaunchAgain;

    /// <summary>Controls <paramref name="machine"/> and publishes its STOP, RESUME, RESET and SHUTDOWN events on <paramref name="events"/> from now on.</summary>
    public MachineControl(PcMachine machine, MonitorEvents events)
    {
        _machine = machine;
        _events = events;
        machine.StateChanged += OnStateChanged;
        machine.ResetDone += guest => events.Publish("RESET", new JsonObject
        {
            ["guest"] = guest,
            ["reason"] = guest ? "guest-reset" : "host-qmp-system-reset",
        });
    }

    /// <inheritdoc/>
    public RunState RunState => _machine.State switch
    {
        MachineRunState.Prelaunch => RunState.Prelaunch,
        MachineRunState.Running => RunState.Running,
        MachineRunState.Paused => RunState.Paused,
        MachineRunState.IoError => RunState.IoError,
        _ => RunState.Shutdown,
    };

    /// <summary>-name GUEST: what query-name answers.</summary>
    public string? Name { get; set; }

    /// <inheritdoc/>
    public void Stop() => _machine.RequestPause();

    /// <inheritdoc/>
    public void Continue() => _machine.Resume();

    /// <inheritdoc/>
    public void Reset() => _machine.RequestReset();

    /// <inheritdoc/>
    public void Quit()
    {
        _quitting = true;
        _events.Publish("SHUTDOWN", new JsonObject { ["guest"] = false, ["reason"] = "host-qmp-quit" });
        _machine.Exit(0);
    }

    private void PublishGuestShutdown() => _events.Publish("SHUTDOWN", new JsonObject
    {
        ["guest"] = true,
        ["reason"] = _machine.ShutdownByGuestReset ? "guest-reset" : "guest-shutdown",
    });

    private void OnStateChanged(MachineRunState from, MachineRunState to)
    {
        if (to is MachineRunState.Paused or MachineRunState.IoError)
        {
            _events.Publish("STOP");
        }
        else if (to == MachineRunState.Running && (from is MachineRunState.Paused or MachineRunState.IoError || _prelaunchAgain))
        {
            _prelaunchAgain = false;
            _events.Publish("RESUME");
        }
        else if (to == MachineRunState.GuestShutdown)
        {
            // -no-shutdown: QEMU reports the shutdown, then the stop of the VM it paused instead of exiting.
            PublishGuestShutdown();
            _events.Publish("STOP");
        }
        else if (to == MachineRunState.Prelaunch)
        {
            // Started under -S or reset while not running: QEMU's vm_start announces the next run.
            _prelaunchAgain = true;
        }
        else if (to == MachineRunState.Shutdown && !_quitting)
        {
            PublishGuestShutdown();
        }
    }
}
