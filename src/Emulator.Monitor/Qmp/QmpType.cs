namespace Emulator.Monitor.Qmp;

/// <summary>The argument types the command schemas use, named as QEMU's "expected: …" messages name them.</summary>
internal enum QmpType
{
    String,
    Integer,
    Boolean,
    Object,
    Array,

    /// <summary>Any JSON value; the handler checks it.</summary>
    Any,
}
