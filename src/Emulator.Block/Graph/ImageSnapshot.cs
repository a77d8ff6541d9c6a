namespace Emulator.Block.Graph;

/// <summary>One internal snapshot as <c>img info</c> and <c>img snapshot -l</c> list it.</summary>
public record ImageSnapshot(
    string Id,
    string Name,
    uint DateSeconds,
    uint DateNanoseconds,
    ulong VmClockNanoseconds,
    ulong VmStateSize,
    ulong? Icount);
