namespace Emulator.Block.Tracing.Export;

/// <summary>
/// When a stage happened: host ticks, virtual ns and guest instructions; <see cref="IsSet"/> false when it did
/// not. <see cref="SharesPreviousReading"/>: the host time is the previous stamp's reading on the same thread
/// (<see cref="IoTraceRecord.SharesPreviousReading"/>).
/// </summary>
internal readonly record struct IoStamp(long HostTicks, long VirtualNs, long Instructions, bool SharesPreviousReading = false)
{
    public bool IsSet => HostTicks != 0;

    public static IoStamp Of(in IoTraceRecord record) => new(record.HostTicks, record.VirtualNs, record.Instructions, record.SharesPreviousReading);
}
