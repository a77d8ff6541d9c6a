namespace Emulator.Monitor.Qmp;

/// <summary>The <c>class</c> member of a QMP error reply (QAPI ErrorClass).</summary>
public enum QmpErrorClass
{
    GenericError,
    CommandNotFound,
    DeviceNotActive,
    DeviceNotFound,
    KVMMissingCap,
}
