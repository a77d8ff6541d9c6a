namespace Emulator.Block.Nbd;

/// <summary>Option reply types (proto.md "Option reply types"); errors have bit 31 set.</summary>
internal enum NbdOptionReplyType : uint
{
    Ack = 1,
    Server = 2,
    Info = 3,
    MetaContext = 4,

    ErrorBit = 0x8000_0000,
    ErrUnsupported = ErrorBit | 1,
    ErrPolicy = ErrorBit | 2,
    ErrInvalid = ErrorBit | 3,
    ErrPlatform = ErrorBit | 4,
    ErrTlsRequired = ErrorBit | 5,
    ErrUnknown = ErrorBit | 6,
    ErrShutdown = ErrorBit | 7,
    ErrBlockSizeRequired = ErrorBit | 8,
    ErrTooBig = ErrorBit | 9,
}
