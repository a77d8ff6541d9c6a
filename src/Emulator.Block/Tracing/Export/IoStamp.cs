namespace Emulator.Block.Tracing.Export;

/// <summary>When a stage happened: host ticks, virtual ns and guest instructions; <see cref="IsSet"/> false when it did not.</summary>
public readonly record struct IoStamp(long HostTicks, long VirtualNs, long Instructions)
{
    public bool IsSet => HostTicks != 0;

    public static IoStamp Of(in IoTraceRecord record) => new(record.HostTicks, record.VirtualNs, record.Instructions);
}
