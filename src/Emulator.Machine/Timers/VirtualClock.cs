namespace Emulator.Machine.Timers;

/// <summary>
/// The machine's virtual time base, in nanoseconds since power-on. Owned by the machine loop:
/// only <see cref="Advance"/> and <see cref="AdvanceTo"/> move it, and they run every timer
/// that falls due on the caller's thread, earliest deadline first, ties in the order the timers
/// were armed. Nothing here reads the host clock, so a run is repeatable to the nanosecond.
/// Timers are created once per device and re-armed without allocating.
/// </summary>
public sealed class VirtualClock
{
    /// <summary>Clock units per second: time values are nanoseconds.</summary>
    public const long NanosecondsPerSecond = 1_000_000_000;

    // Armed timers form an intrusive list sorted by (deadline, arm sequence): arming is O(n)
    // over a handful of timers, finding the next one is O(1), and nothing is allocated.
    private VirtualTimer? _head;
    private long _armSequence;
    private bool _advancing;

    private Func<long>? _sliceProgress;

    /// <summary>
    /// Virtual time in nanoseconds at the last fixed point of the machine loop. While the CPU runs a
    /// slice it stays put; <see cref="PreciseNow"/> adds the time of the instructions run so far.
    /// </summary>
    public long Now { get; private set; }

    /// <summary>
    /// Virtual time to the instruction: <see cref="Now"/> plus the time of the instructions the CPU has
    /// run in its current slice. Everything the guest can read as time (the PIT's counters, the TSC, the
    /// RTC, the ACPI PM timer) and every timer a guest access arms go by this, so a guest that measures
    /// one counter against another — Linux calibrating its TSC against the PIT — sees them agree.
    /// </summary>
    public long PreciseNow => _sliceProgress is { } progress ? Now + progress() : Now;

    /// <summary>
    /// Installs the machine loop's measure of the running slice's elapsed virtual time (zero whenever the
    /// clock is advanced; the loop keeps that so).
    /// </summary>
    public void SetSliceProgress(Func<long> progress) => _sliceProgress = progress ?? throw new ArgumentNullException(nameof(progress));

    /// <summary>The earliest armed deadline, or null when no timer is armed.</summary>
    public long? NextDeadline => _head?.Deadline;

    /// <summary>Creates a timer that runs <paramref name="callback"/> when it falls due. The callback may re-arm it.</summary>
    public VirtualTimer CreateTimer(Action callback, string name = "")
    {
        ArgumentNullException.ThrowIfNull(callback);
        return new VirtualTimer(this, callback, name);
    }

    /// <summary>Moves time forward by <paramref name="nanoseconds"/>, firing due timers.</summary>
    public void Advance(long nanoseconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nanoseconds);
        AdvanceTo(checked(Now + nanoseconds));
    }

    /// <summary>
    /// Moves time forward to <paramref name="time"/>. Each due timer fires with <see cref="Now"/> equal
    /// to its own deadline, so a callback that re-arms relative to <see cref="Now"/> keeps an exact period.
    /// </summary>
    public void AdvanceTo(long time)
    {
        if (time < Now)
        {
            throw new ArgumentOutOfRangeException(nameof(time), $"Virtual time cannot go back from {Now} to {time}.");
        }

        // Only the loop moves time; a timer callback that tried to would reorder the callbacks still due.
        if (_advancing)
        {
            throw new InvalidOperationException("A timer callback cannot advance the virtual clock.");
        }

        _advancing = true;
        try
        {
            while (_head is { } due && due.Deadline <= time)
            {
                Unlink(due);
                Now = due.Deadline;
                due.Fire();
            }

            Now = time;
        }
        finally
        {
            _advancing = false;
        }
    }

    internal void Link(VirtualTimer timer, long deadline)
    {
        if (timer.IsArmed)
        {
            Unlink(timer);
        }

        // A deadline in the past fires at the next advance, never retroactively.
        timer.Deadline = Math.Max(deadline, Now);
        timer.Sequence = _armSequence++;
        timer.IsArmed = true;

        VirtualTimer? previous = null;
        var current = _head;
        while (current is not null && !timer.RunsBefore(current))
        {
            previous = current;
            current = current.Next;
        }

        timer.Next = current;
        if (previous is null)
        {
            _head = timer;
        }
        else
        {
            previous.Next = timer;
        }
    }

    internal void Unlink(VirtualTimer timer)
    {
        if (!timer.IsArmed)
        {
            return;
        }

        if (_head == timer)
        {
            _head = timer.Next;
        }
        else
        {
            var current = _head;
            while (current is not null && current.Next != timer)
            {
                current = current.Next;
            }

            if (current is not null)
            {
                current.Next = timer.Next;
            }
        }

        timer.Next = null;
        timer.IsArmed = false;
    }
}
