namespace Emulator.Block.Drivers.Blkdebug;

/// <summary>blkdebug's event names (inject-error's event, qemu-io's break) for the I/O paths this driver models.</summary>
public static class BlkdebugEvents
{
    /// <summary>The request types a blkdebug event name stands for (<c>read_aio</c> → reads, <c>flush_to_disk</c> → flushes …); null for a name this driver does not model.</summary>
    public static BlkdebugOperations? ToOperations(string blkdebugEvent) => blkdebugEvent switch
    {
        "read_aio" or "read_backing_aio" or "read_compressed" => BlkdebugOperations.Read,
        "write_aio" or "pwritev" or "pwritev_rmw_head" or "pwritev_rmw_tail" => BlkdebugOperations.Write,
        "pwritev_zero" => BlkdebugOperations.WriteZeroes,
        "flush_to_os" or "flush_to_disk" => BlkdebugOperations.Flush,
        _ => null,
    };
}
