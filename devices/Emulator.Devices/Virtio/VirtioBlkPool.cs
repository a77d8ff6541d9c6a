using Emulator.Block.Backend;

namespace Emulator.Devices.Virtio;

/// <summary>
/// The recycled objects of one virtio-blk device and the host-memory budgets that keep a hostile
/// driver from growing them without bound: requests and backend operations come from free lists
/// (a steady stream allocates nothing); request data in flight is counted against
/// <see cref="MaxBytesInFlight"/> (the device stops taking requests off its queues above it, since a
/// driver could point hundreds of 16 MiB requests at one guest buffer); idle operations keep their
/// bounce buffers only up to <see cref="MaxRetainedBytes"/> in total.
/// </summary>
internal sealed class VirtioBlkPool(IBlockCompletionHandler handler)
{
    public const long MaxBytesInFlight = 64L << 20;
    public const long MaxRetainedBytes = 64L << 20;

    private readonly Stack<VirtioBlkRequest> _freeRequests = new();
    private readonly Stack<VirtioBlkIo> _freeIos = new();
    private long _retainedBytes;

    /// <summary>Data bytes of requests accepted and not yet completed.</summary>
    public long BytesInFlight { get; private set; }

    public bool OverBudget => BytesInFlight >= MaxBytesInFlight;

    /// <summary>Operations that transfer straight to or from guest RAM and have not been released.</summary>
    public int DirectOperations { get; private set; }

    public VirtioBlkRequest RentRequest(int queue, int generation)
    {
        var request = _freeRequests.Count > 0 ? _freeRequests.Pop() : new VirtioBlkRequest();
        request.Queue = queue;
        request.Generation = generation;
        request.DataBytes = 0;
        request.Next = null;
        return request;
    }

    /// <summary>Counts <paramref name="request"/>'s data against the in-flight budget (set <see cref="VirtioBlkRequest.DataBytes"/> first).</summary>
    public void Reserve(VirtioBlkRequest request) => BytesInFlight += request.DataBytes;

    public void Release(VirtioBlkRequest request)
    {
        BytesInFlight -= request.DataBytes;
        request.DataBytes = 0;
        request.Next = null;
        _freeRequests.Push(request);
    }

    public VirtioBlkIo RentIo(VirtioBlkRequest first, int members, int deviceGeneration)
    {
        var io = _freeIos.Count > 0 ? _freeIos.Pop() : new VirtioBlkIo(handler);
        _retainedBytes -= io.Capacity;
        io.First = first;
        io.Members = members;
        io.DeviceGeneration = deviceGeneration;
        return io;
    }

    public void MarkDirect(VirtioBlkIo io, ulong address)
    {
        io.DirectAddress = address;
        DirectOperations++;
    }

    /// <summary>Recycles the operation and every request it served.</summary>
    public void ReleaseIo(VirtioBlkIo io)
    {
        var member = io.First;
        while (member is not null)
        {
            var next = member.Next;
            Release(member);
            member = next;
        }

        io.First = null;
        if (io.DirectAddress is not null)
        {
            io.DirectAddress = null;
            DirectOperations--;
        }

        if (_retainedBytes + io.Capacity > MaxRetainedBytes)
        {
            io.DropBuffer();
        }

        _retainedBytes += io.Capacity;
        _freeIos.Push(io);
    }
}
