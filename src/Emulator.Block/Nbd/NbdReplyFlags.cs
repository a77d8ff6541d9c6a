namespace Emulator.Block.Nbd;

[Flags]
internal enum NbdReplyFlags : ushort
{
    None = 0,

    /// <summary>This is the last chunk of the reply.</summary>
    Done = 1 << 0,
}
