namespace Emulator.Block.Tracing;

/// <summary>A record as the collector hands it on: the record and the ring (thread) it came from.</summary>
internal readonly record struct IoTraceEntry(IoTraceRecord Record, int Thread);
