using System.Net.Sockets;
using Emulator.Block.Nbd;

namespace Emulator.Block.Drivers.Nbd;

/// <summary>
/// The sending side of a connection: request headers (with a write payload up to 64 KiB copied behind
/// its header, so a request is one <c>send</c>) under one send lock, and plugging (QEMU's
/// <c>blk_io_plug</c>): while a thread has plugged, the requests it sends collect in the send buffer and go
/// out together when it unplugs. A failed send calls <see cref="Failed"/> (the connection shuts down and
/// its reading thread fails every request in flight).
/// </summary>
internal sealed class NbdRequestSender
{
    /// <summary>Write payloads up to this size go out in one <c>send</c> with their header (copied behind it).</summary>
    private const int InlinePayload = 64 * 1024;

    private const int CorkCapacity = 256 * 1024;

    private readonly Socket _socket;
    private readonly Lock _sendLock = new();

    /// <summary>Requests being sent; while plugged, requests not yet sent (<see cref="_corked"/> bytes).</summary>
    private readonly byte[] _sendBuffer = new byte[CorkCapacity];
    private int _corked;
    private int _plugs;
    private int _plugThread;

    public NbdRequestSender(Socket socket)
    {
        _socket = socket;
    }

    /// <summary>Called (under the send lock) when a send failed: the connection must end.</summary>
    public required Action Failed { get; init; }

    /// <summary>
    /// True when plugging is safe: some thread other than the plugging one will send held requests should
    /// the plugging thread block before it unplugs (see <see cref="Plug"/>).
    /// </summary>
    public required Func<bool> CanPlug { get; init; }

    /// <summary>Sends a request's header, and its payload for a write (held while this thread has plugged).</summary>
    public void Send(in NbdRequestHeader header, ReadOnlySpan<byte> payload)
    {
        lock (_sendLock)
        {
            const int headerSize = NbdLimits.RequestHeaderSize;

            // A payload that fits goes behind its header (one system call per request); while the sending
            // thread has plugged the connection, requests collect here and go out together at Unplug.
            var inline = payload.Length <= InlinePayload;
            var size = headerSize + (inline ? payload.Length : 0);
            var corking = _plugs > 0 && _plugThread == Environment.CurrentManagedThreadId && inline;
            var sent = _corked + size <= _sendBuffer.Length || FlushCorked();
            header.Write(_sendBuffer.AsSpan(_corked));
            if (inline)
            {
                payload.CopyTo(_sendBuffer.AsSpan(_corked + headerSize));
            }

            _corked += size;
            if (!corking)
            {
                sent &= FlushCorked() && (inline || NbdWire.SendAll(_socket, payload));
            }

            if (!sent)
            {
                Failed();
            }
        }
    }

    /// <summary>
    /// Holds the requests this thread sends until <see cref="Unplug"/> and sends them in one system call (QEMU's
    /// <c>blk_io_plug</c>): a batch of completions that each submit the next request then reaches the server as
    /// one burst, which it reads at one wake-up and answers with one burst. Requests from other threads are not
    /// held. Should the plugging thread block before unplugging, the receive thread sends them before it sleeps.
    /// </summary>
    public void Plug()
    {
        lock (_sendLock)
        {
            var me = Environment.CurrentManagedThreadId;
            if (_plugs == 0)
            {
                // Only while a waiter polls: the receive thread is then parked and sends held requests at
                // each look (a plugging thread that blocks is not stuck). Otherwise it may sit in recv.
                if (!CanPlug())
                {
                    return;
                }

                _plugThread = me;
            }

            if (_plugThread == me)
            {
                _plugs++;
            }
        }
    }

    /// <summary>Ends a <see cref="Plug"/>; the last one sends what was held.</summary>
    public void Unplug()
    {
        lock (_sendLock)
        {
            if (_plugs > 0 && _plugThread == Environment.CurrentManagedThreadId && --_plugs == 0 && !FlushCorked())
            {
                Failed();
            }
        }
    }

    /// <summary>Sends held requests now (any thread); the receive thread calls it before it sleeps.</summary>
    public void SendHeld()
    {
        lock (_sendLock)
        {
            if (_corked > 0 && !FlushCorked())
            {
                Failed();
            }
        }
    }

    /// <summary>Sends what is held, then NBD_CMD_DISC (which has no reply); failures are ignored, the connection closes next.</summary>
    public void SendDisconnect()
    {
        lock (_sendLock)
        {
            FlushCorked();
            new NbdRequestHeader(NbdCommandFlags.None, NbdCommand.Disconnect, 0, 0, 0).Write(_sendBuffer);
            NbdWire.SendAll(_socket, _sendBuffer.AsSpan(0, NbdLimits.RequestHeaderSize));
        }
    }

    /// <summary>Sends the bytes collected in the send buffer. Under the send lock.</summary>
    private bool FlushCorked()
    {
        var count = _corked;
        _corked = 0;
        return count == 0 || NbdWire.SendAll(_socket, _sendBuffer.AsSpan(0, count));
    }
}
