namespace Emulator.Monitor;

/// <summary>
/// What the monitor asks of the machine: run state, stop/cont, reset and quit. The machine publishes
/// STOP/RESUME/RESET/SHUTDOWN through <see cref="MonitorEvents"/> as they happen. Called on the machine thread.
/// </summary>
public interface IMachineControl
{
    /// <summary>The state <c>query-status</c> reports.</summary>
    RunState RunState { get; }

    /// <summary>The guest's name (-name), for query-name; null when none was given.</summary>
    string? Name => null;

    /// <summary>QMP <c>stop</c>: pause the guest (STOP event).</summary>
    void Stop();

    /// <summary>QMP <c>cont</c>: resume the guest (RESUME event); refused with a message in states that cannot resume.</summary>
    void Continue();

    /// <summary>QMP <c>system_reset</c> (RESET event).</summary>
    void Reset();

    /// <summary>QMP <c>quit</c>: the SHUTDOWN event, then the emulator exits once the reply is sent.</summary>
    void Quit();

    /// <summary>Whether the machine waits in --preconfig, where only allow-preconfig commands run.</summary>
    bool InPreconfig => false;

    /// <summary>QMP <c>x-exit-preconfig</c>: leaves --preconfig; the guest starts unless -S asked otherwise (RESUME event).</summary>
    void ExitPreconfig()
    {
    }

    /// <summary>How many CPUs the board has, for query-cpus-fast (none on QEMU's empty board).</summary>
    int CpuCount => 1;

    /// <summary>The RTC's current date and time (QOM /machine rtc-time); null when the board has no RTC.</summary>
    DateTime? RtcTime => null;
}
