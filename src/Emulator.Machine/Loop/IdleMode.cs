namespace Emulator.Machine.Loop;

/// <summary>What a halted CPU waiting for a timer does to time.</summary>
public enum IdleMode
{
    /// <summary>Sleep in real time until the timer is due (a guest waiting for a key costs no host CPU). The default for interactive runs.</summary>
    Sleep,

    /// <summary>Jump the virtual clock to the next deadline at once (tests, qtest-style runs, fast boots).</summary>
    Skip,
}
