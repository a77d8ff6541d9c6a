using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Emulator.Block.Nbd;

/// <summary>
/// Buffered receiving for one connection's reading thread: one <c>recv</c> takes in as much as the
/// peer has sent (with many requests in flight that is many headers at once), and headers are then
/// parsed from memory. Large payloads with nothing buffered go straight into the destination.
/// Measured with <c>emu img bench -d 16</c> over a Unix socket: three system calls per 4 KiB read
/// reply became well under one.
/// </summary>
internal sealed class NbdReceiveBuffer
{
    private const int Capacity = 256 * 1024;
    private const int DirectThreshold = 64 * 1024;

    private readonly Socket _socket;
    private readonly int _fd;
    private readonly byte[] _buffer = new byte[Capacity];
    private int _start;
    private int _end;

    public NbdReceiveBuffer(Socket socket)
    {
        _socket = socket;
        _fd = (int)socket.Handle;
    }

    /// <summary>
    /// Called on the reading thread just before a receive that may block (nothing left in the buffer):
    /// the owner finishes the work it batched while parsing what had arrived (completions to hand on,
    /// replies to send), so each wake-up of the thread costs one hand-off, not one per message.
    /// </summary>
    internal Action? BeforeWait { get; set; }

    /// <summary>Bytes received and not yet consumed.</summary>
    public int Buffered => _end - _start;

    /// <summary>Fills <paramref name="destination"/>; false when the stream ended first.</summary>
    public bool ReadExactly(Span<byte> destination)
    {
        while (destination.Length > 0)
        {
            if (_start == _end)
            {
                if (destination.Length >= DirectThreshold)
                {
                    BeforeWait?.Invoke();
                    return NbdWire.ReceiveExactly(_socket, destination);
                }

                if (!Fill())
                {
                    return false;
                }
            }

            var take = Math.Min(destination.Length, _end - _start);
            _buffer.AsSpan(_start, take).CopyTo(destination);
            _start += take;
            destination = destination[take..];
        }

        return true;
    }

    /// <summary>Reads and drops <paramref name="length"/> bytes.</summary>
    public bool Skip(long length)
    {
        while (length > 0)
        {
            if (_start == _end && !Fill())
            {
                return false;
            }

            var take = (int)Math.Min(length, _end - _start);
            _start += take;
            length -= take;
        }

        return true;
    }

    /// <summary>
    /// With nothing buffered, takes in what has arrived without waiting (one <c>recv</c> with MSG_DONTWAIT):
    /// true when bytes came, or when the stream ended or failed (the next read finds out which, without
    /// blocking); false when nothing is there yet.
    /// </summary>
    public unsafe bool FillAvailable()
    {
        _start = _end = 0;
        while (true)
        {
            nint n;
            fixed (byte* buffer = _buffer)
            {
                n = LinuxSockets.Receive(_fd, buffer, (nuint)_buffer.Length, LinuxSockets.DontWait);
            }

            if (n > 0)
            {
                _end = (int)n;
                return true;
            }

            var errno = n < 0 ? Marshal.GetLastPInvokeError() : 0;
            if (errno != LinuxSockets.Interrupted)
            {
                return errno != LinuxSockets.WouldBlock;
            }
        }
    }

    private bool Fill()
    {
        BeforeWait?.Invoke();
        _start = _end = 0;
        int n;
        try
        {
            n = _socket.Receive(_buffer, SocketFlags.None);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }

        _end = n;
        return n > 0;
    }
}
