namespace Emulator.Cli.Img;

/// <summary>The options of <c>img bench</c>, with qemu-img bench's defaults.</summary>
internal sealed record ImgBenchOptions
{
    public int Count { get; init; } = 75000;

    public int Depth { get; init; } = 64;

    public int BufferSize { get; init; } = 4096;

    /// <summary>0 = the buffer size.</summary>
    public long Step { get; init; }

    public long Offset { get; init; }

    public bool Write { get; init; }

    public byte Pattern { get; init; }

    /// <summary>0 = no flushes.</summary>
    public int FlushInterval { get; init; }

    public bool Drain { get; init; } = true;
}
