using System.Net.Sockets;

namespace Emulator.Monitor.Qmp;

/// <summary>The accept step the QMP and qtest servers share.</summary>
internal static class ListenerAccept
{
    /// <summary>The next client of <paramref name="listener"/>, or null once the server stops or the listener is closed.</summary>
    public static async Task<Socket?> NextAsync(Socket listener, CancellationToken stopping)
    {
        try
        {
            return await listener.AcceptAsync(stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (SocketException)
        {
            return null;
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }
}
