using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.Nbd;

/// <summary>Options of an <c>nbd</c> protocol node (QAPI BlockdevOptionsNbd).</summary>
public sealed record NbdNodeOptions(NbdServerAddress Server) : BlockNodeOptions
{
    /// <summary>QEMU's default: the server is asked for before the first connection gives up.</summary>
    public const int DefaultReconnectDelaySeconds = 0;

    /// <inheritdoc/>
    public override string Driver => "nbd";

    /// <summary>The export name; the server's default export when empty.</summary>
    public string Export { get; init; } = string.Empty;

    /// <summary>
    /// QEMU's <c>reconnect-delay</c>: after the connection drops, requests wait this many seconds for
    /// the driver to reconnect before they fail. Requests in flight when it dropped fail at once
    /// (through the backend's error policy). Reconnecting goes on in the background either way.
    /// </summary>
    public int ReconnectDelaySeconds { get; init; } = DefaultReconnectDelaySeconds;

    /// <summary>How long to wait for the first connection and handshake (QEMU's open-timeout).</summary>
    public int OpenTimeoutSeconds { get; init; }

    /// <summary>TLS is not implemented; a node asking for it is refused at open with a clear message.</summary>
    public string? TlsCreds { get; init; }
}
