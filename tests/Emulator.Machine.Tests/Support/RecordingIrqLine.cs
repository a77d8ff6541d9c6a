using Emulator.Machine.Interrupts;

namespace Emulator.Machine.Tests.Support;

/// <summary>An IRQ line that records its level and counts rising edges.</summary>
internal sealed class RecordingIrqLine : IIrqLine
{
    public bool Level { get; private set; }

    public int RisingEdges { get; private set; }

    public List<long> RiseTimes { get; } = [];

    public Func<long>? Clock { get; set; }

    public void Raise()
    {
        if (!Level)
        {
            RisingEdges++;
            RiseTimes.Add(Clock?.Invoke() ?? 0);
        }

        Level = true;
    }

    public void Lower() => Level = false;
}
