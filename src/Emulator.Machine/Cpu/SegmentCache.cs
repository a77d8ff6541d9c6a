namespace Emulator.Machine.Cpu;

/// <summary>
/// A segment register with its hidden descriptor cache. Real-mode loads change only
/// <see cref="Selector"/> and <see cref="Base"/>, so limits set in protected mode survive ("unreal mode").
/// </summary>
public struct SegmentCache
{
    /// <summary>Real-mode limit, and the reset value of every segment.</summary>
    public const uint RealModeLimit = 0xFFFF;

    /// <summary>
    /// The visible selector: descriptor index in bits 15-3, table indicator in bit 2, RPL in bits 1-0 (the paragraph
    /// in real mode).
    /// </summary>
    public ushort Selector { get; set; }

    /// <summary>Linear base address of the segment.</summary>
    public uint Base { get; set; }

    /// <summary>Highest valid offset (byte granular, already scaled when the descriptor had G=1).</summary>
    public uint Limit { get; set; }

    /// <summary>The D/B bit: 32-bit default operand and address size for CS, ESP instead of SP for SS.</summary>
    public bool Big { get; set; }

    /// <summary>The descriptor's access byte (type, S, DPL, P); 0x93/0x9B style values after reset.</summary>
    public byte Access { get; set; }
}
