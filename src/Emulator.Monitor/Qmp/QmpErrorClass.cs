namespace Emulator.Monitor.Qmp;

/// <summary>The <c>class</c> member of a QMP error reply (QAPI ErrorClass).</summary>
public enum QmpErrorClass
{
    /// <summary>Every error without a more specific class (nearly all of them, as in QEMU).</summary>
    GenericError,
    /// <summary>The command does not exist, or is not allowed before capabilities negotiation.</summary>
    CommandNotFound,
    /// <summary>The device exists but is not in a state for the request.</summary>
    DeviceNotActive,
    /// <summary>No device or backend has the given name.</summary>
    DeviceNotFound,
    /// <summary>Part of the QAPI enumeration; not produced here (there is no KVM).</summary>
    KVMMissingCap,
}
