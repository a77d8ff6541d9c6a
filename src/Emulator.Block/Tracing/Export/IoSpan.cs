namespace Emulator.Block.Tracing.Export;

/// <summary>One guest request, assembled from its records: what it was, and when each stage happened.</summary>
internal sealed class IoSpan
{
    public const int StageCount = (int)IoSpanStage.Acknowledged + 1;

    public long Id { get; init; }

    public int Track { get; init; }

    public int Drive { get; init; }

    public IoTraceOp Op { get; init; }

    public long Offset { get; init; }

    public long Length { get; init; }

    public int QueueDepth { get; init; }

    /// <summary>The block error number at delivery (0 = success); -1 while not delivered.</summary>
    public int Result { get; set; } = -1;

    /// <summary>The ring (thread) that ran the driver, or -1 when no driver stage was seen.</summary>
    public int WorkerThread { get; set; } = -1;

    public IoStamp[] Stamps { get; } = new IoStamp[StageCount];

    public IoStamp this[IoSpanStage stage]
    {
        get => Stamps[(int)stage];
        set => Stamps[(int)stage] = value;
    }

    /// <summary>The first stage that happened (the doorbell when the device stamped one).</summary>
    public IoStamp Start => this[IoSpanStage.Doorbell].IsSet ? this[IoSpanStage.Doorbell] : this[IoSpanStage.Submitted];

    /// <summary>The last stage that happened.</summary>
    public IoStamp End
    {
        get
        {
            for (var i = StageCount - 1; i >= 0; i--)
            {
                if (Stamps[i].IsSet)
                {
                    return Stamps[i];
                }
            }

            return default;
        }
    }
}
