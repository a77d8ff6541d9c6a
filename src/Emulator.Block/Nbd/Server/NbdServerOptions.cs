namespace Emulator.Block.Nbd.Server;

/// <summary>How an NBD server accepts clients (qemu-nbd's --shared, --persistent and handshake limit).</summary>
public sealed record NbdServerOptions
{
    /// <summary>Clients served at once; further connections are closed at once (qemu-nbd --shared, default 1; 0 = no limit).</summary>
    public int MaxClients { get; init; } = 1;

    /// <summary>Keep serving after the last client leaves (qemu-nbd --persistent); otherwise stop then.</summary>
    public bool Persistent { get; init; }

    /// <summary>A client that has not finished the handshake in this time is dropped (qemu-nbd --handshake-limit, 10 s).</summary>
    public TimeSpan HandshakeLimit { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Requests one client may have in flight; the server stops reading from it until one finishes (QEMU: 16).</summary>
    public int MaxRequestsPerClient { get; init; } = 16;
}
