namespace Emulator.Block.Nbd;

/// <summary>Information types carried in NBD_REP_INFO replies and requested by NBD_OPT_INFO/GO.</summary>
internal enum NbdInfoType : ushort
{
    /// <summary>Size (u64) and transmission flags (u16).</summary>
    Export = 0,
    Name = 1,
    Description = 2,

    /// <summary>Minimum, preferred and maximum block size (three u32).</summary>
    BlockSize = 3,
}
