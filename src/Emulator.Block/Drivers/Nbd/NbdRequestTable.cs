using Emulator.Block.Backend;
using Emulator.Block.Nbd;

namespace Emulator.Block.Drivers.Nbd;

/// <summary>
/// A connection's requests: the reusable <see cref="NbdPendingRequest"/> slots, the ones in flight (found by
/// cookie when their reply arrives), and the ones whose reply has been read and that wait to be completed
/// as a batch (<see cref="CompleteReady"/>). Once the connection ends (<see cref="FailAll"/>) nothing new starts.
/// Starting and releasing may happen on any thread; <see cref="MarkReady"/> and <see cref="CompleteReady"/>
/// only on the thread that holds the connection's reading role.
/// </summary>
internal sealed class NbdRequestTable
{
    /// <summary>Finished requests held back while more replies are already buffered (see <see cref="CompleteReady"/>).</summary>
    private const int MaxReady = 64;

    private readonly Lock _gate = new();
    private readonly Stack<NbdPendingRequest> _free = new();
    private readonly Action<NbdPendingRequest> _release;
    private readonly NbdPendingRequest[] _ready = new NbdPendingRequest[MaxReady];
    private NbdPendingRequest?[] _inFlight = new NbdPendingRequest?[16];
    private NbdPendingRequest[] _all = [];
    private int _readyCount;
    private int _inFlightCount;
    private bool _dead;

    public NbdRequestTable()
    {
        _release = Release;
    }

    public bool IsDead
    {
        get
        {
            lock (_gate)
            {
                return _dead;
            }
        }
    }

    /// <summary>Requests sent and not yet completed (read without the lock: a hint for pollers).</summary>
    public int InFlightCount => Volatile.Read(ref _inFlightCount);

    /// <summary>Takes a slot for a new request; null once the connection has ended.</summary>
    public NbdPendingRequest? Start(NbdCommand command, long offset, long length, Memory<byte> readBuffer, bool keep)
    {
        lock (_gate)
        {
            if (_dead)
            {
                return null;
            }

            var request = _free.Count > 0 ? _free.Pop() : NewSlot();
            request.Start(command, offset, length, readBuffer, keep);
            _inFlight[request.Slot] = request;
            _inFlightCount++;
            return request;
        }
    }

    /// <summary>Returns a request kept with <c>keep</c> after its owner read the result fields.</summary>
    public void Release(NbdPendingRequest request)
    {
        lock (_gate)
        {
            _free.Push(request);
        }
    }

    /// <summary>The request in flight a reply's cookie names, or null (an unknown, late or forged cookie).</summary>
    public NbdPendingRequest? Find(ulong cookie)
    {
        lock (_gate)
        {
            var slot = (int)(uint)cookie;
            return slot < _inFlight.Length && _inFlight[slot] is { } r && r.Cookie == cookie ? r : null;
        }
    }

    /// <summary>Queues a request whose whole reply has been read; it completes at the next <see cref="CompleteReady"/>.</summary>
    public void MarkReady(NbdPendingRequest request)
    {
        if (_readyCount == MaxReady)
        {
            CompleteReady();
        }

        _ready[_readyCount++] = request;
    }

    /// <summary>
    /// Completes the requests whose replies have been read. Called when the receive buffer runs dry (before
    /// the thread blocks in <c>recv</c>) rather than once per reply: with many requests in flight one
    /// <c>recv</c> brings many replies, and the waiting machine thread is then woken once for all of them
    /// instead of once each.
    /// </summary>
    public void CompleteReady()
    {
        var count = _readyCount;
        if (count == 0)
        {
            return;
        }

        _readyCount = 0;
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                _inFlight[_ready[i].Slot] = null;
            }

            _inFlightCount -= count;
        }

        for (var i = 0; i < count; i++)
        {
            var request = _ready[i];
            _ready[i] = null!;
            request.Complete(request.Error);
        }
    }

    /// <summary>The connection has ended: replies read whole keep their results, every other request fails with Io.</summary>
    public void FailAll()
    {
        CompleteReady();
        List<NbdPendingRequest> failed = [];
        lock (_gate)
        {
            _dead = true;
            for (var i = 0; i < _inFlight.Length; i++)
            {
                if (_inFlight[i] is { } request)
                {
                    _inFlight[i] = null;
                    failed.Add(request);
                }
            }

            _inFlightCount = 0;
        }

        foreach (var request in failed)
        {
            request.Complete(BlockError.Io);
        }
    }

    private NbdPendingRequest NewSlot()
    {
        var slot = _all.Length;
        if (slot >= _inFlight.Length)
        {
            Array.Resize(ref _inFlight, _inFlight.Length * 2);
        }

        var request = new NbdPendingRequest(slot) { Release = _release };
        Array.Resize(ref _all, slot + 1);
        _all[slot] = request;
        return request;
    }
}
