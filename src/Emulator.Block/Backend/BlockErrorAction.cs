namespace Emulator.Block.Backend;

/// <summary>The action chosen for one failed request (QEMU's <c>BlockErrorAction</c>).</summary>
public enum BlockErrorAction : byte
{
    /// <summary>The error goes to the guest.</summary>
    Report,
    /// <summary>The error is dropped: the device completes the request as if it had succeeded.</summary>
    Ignore,
    /// <summary>The VM is stopped and the device keeps the request to resubmit it on <c>cont</c>.</summary>
    Stop,
}
