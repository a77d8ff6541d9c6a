namespace Emulator.Block.Nbd;

/// <summary>Handshake options the client sends after IHAVEOPT (proto.md "Option types").</summary>
internal enum NbdOption : uint
{
    ExportName = 1,
    Abort = 2,
    List = 3,
    StartTls = 5,
    Info = 6,
    Go = 7,
    StructuredReply = 8,
    ListMetaContext = 9,
    SetMetaContext = 10,
}
