namespace Emulator.Block.Backend;

/// <summary>What a backend does when an I/O request fails (QEMU's <c>BlockdevOnError</c>, the rerror/werror options).</summary>
public enum BlockErrorPolicy : byte
{
    /// <summary>Complete the request with the error; the device reports it to the guest.</summary>
    Report,

    /// <summary>Pretend the request succeeded.</summary>
    Ignore,

    /// <summary>Stop the VM on ENOSPC, report anything else (the default for writes).</summary>
    Enospc,

    /// <summary>Stop the VM; the device parks the request and retries it on resume.</summary>
    Stop,
}
