namespace Emulator.Block.Tracing;

/// <summary>What a trace record marks. Track events come from devices; span events from the block layer.</summary>
internal enum IoTraceStage : byte
{
    /// <summary>Track event: the guest rang the doorbell (ATA command, ATAPI packet, FDC command, virtio notify).</summary>
    Doorbell,

    /// <summary>Track event: the device walked the PRD table or descriptor chain and is about to submit.</summary>
    Decoded,

    /// <summary>Span event: <c>BlockBackend.Submit</c> accepted the request; opens the span.</summary>
    Submitted,

    /// <summary>A graph node started an operation (the record names the node).</summary>
    DriverBegin,

    /// <summary>A graph node finished an operation (Result; <see cref="IoTrace.ResultPending"/> when it went asynchronous).</summary>
    DriverEnd,

    /// <summary>Span event: the completion was queued for the machine thread.</summary>
    Queued,

    /// <summary>Span event: the loop's fixed point handed the completion to the device (Result = the block error).</summary>
    Delivered,

    /// <summary>Track event: the device raised its interrupt.</summary>
    Interrupt,

    /// <summary>Track event: the guest acknowledged an outstanding interrupt (status/ISR read, SENSE INTERRUPT STATUS).</summary>
    Acknowledged,
}
