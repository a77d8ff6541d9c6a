namespace Emulator.Machine.Timers;

/// <summary>
/// A one-shot timer on a <see cref="VirtualClock"/>. Created once by a device, then armed and
/// cancelled as often as needed without allocating; a periodic device re-arms it from its callback.
/// </summary>
public sealed class VirtualTimer
{
    private readonly VirtualClock _clock;
    private readonly Action _callback;

    internal VirtualTimer(VirtualClock clock, Action callback, string name)
    {
        _clock = clock;
        _callback = callback;
        Name = name;
    }

    /// <summary>A name for diagnostics (trace output), given by the device that created the timer.</summary>
    public string Name { get; }

    /// <summary>True from <see cref="Arm"/> until the timer fires or is cancelled.</summary>
    public bool IsArmed { get; internal set; }

    /// <summary>The absolute virtual time (ns) the timer fires at; meaningful while armed.</summary>
    public long Deadline { get; internal set; }

    internal long Sequence { get; set; }

    internal VirtualTimer? Next { get; set; }

    /// <summary>Arms (or re-arms) the timer for absolute time <paramref name="deadline"/>; a past deadline fires at the next advance.</summary>
    public void Arm(long deadline) => _clock.Link(this, deadline);

    /// <summary>Arms the timer <paramref name="delay"/> nanoseconds from now.</summary>
    public void ArmAfter(long delay) => _clock.Link(this, checked(_clock.PreciseNow + Math.Max(0, delay)));

    /// <summary>Disarms the timer; harmless when it is not armed.</summary>
    public void Cancel() => _clock.Unlink(this);

    internal bool RunsBefore(VirtualTimer other) =>
        Deadline < other.Deadline || (Deadline == other.Deadline && Sequence < other.Sequence);

    internal void Fire() => _callback();
}
