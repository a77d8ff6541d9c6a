namespace Emulator.Machine.Loop;

/// <summary>When <see cref="PcMachine.Run"/> should return. Every limit is optional.</summary>
public sealed record RunLimits
{
    /// <summary>Stop after this many guest instructions (counted across slices).</summary>
    public long? MaxInstructions { get; init; }

    /// <summary>Stop once this returns true; checked at every fixed point of the loop.</summary>
    public Func<bool>? Until { get; init; }

    /// <summary>Stop right after the guest writes this port.</summary>
    public ushort? UntilPortWritten { get; init; }

    /// <summary>Real-time limit.</summary>
    public TimeSpan? WallTimeout { get; init; }

    /// <summary>Return when the machine becomes idle instead of sleeping for outside input.</summary>
    public bool ReturnWhenIdle { get; init; }

    /// <summary>Return when the machine is paused instead of waiting to be resumed.</summary>
    public bool ReturnWhenPaused { get; init; }

    /// <summary>Run until the machine is idle or paused, with no instruction or time limit.</summary>
    public static RunLimits UntilIdle { get; } = new() { ReturnWhenIdle = true, ReturnWhenPaused = true };

    /// <summary>
    /// Run at most <paramref name="count"/> instructions, returning early when the machine becomes idle or paused.
    /// </summary>
    public static RunLimits Instructions(long count) => new() { MaxInstructions = count, ReturnWhenIdle = true, ReturnWhenPaused = true };
}
