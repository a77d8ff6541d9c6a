namespace Emulator.Testing.Qos;

/// <summary>
/// virtio-blk requests (virtio 1.2 section 5.2.6) over a <see cref="Virtqueue"/>, shared by the legacy and modern
/// drivers: a 16-byte header the device reads, the data, a status byte the device writes, one chain per request.
/// </summary>
internal sealed class VirtioBlkRequests
{
    /// <summary>VIRTIO_BLK_T_IN, _OUT, _FLUSH.</summary>
    public const uint TypeIn = 0;
    public const uint TypeOut = 1;
    public const uint TypeFlush = 4;

    private const int HeaderBytes = 16;
    private const byte StatusUnset = 0xFF;

    private readonly IQtest _qtest;
    private readonly Virtqueue _queue;
    private readonly Action _notify;
    private readonly ulong _header;
    private readonly ulong _status;
    private ushort _usedBefore;

    public VirtioBlkRequests(IQtest qtest, GuestAllocator allocator, Virtqueue queue, Action notify)
    {
        _qtest = qtest;
        _queue = queue;
        _notify = notify;
        _header = allocator.Allocate(HeaderBytes);
        _status = allocator.Allocate(1);
    }

    /// <summary>
    /// Submits one request of <paramref name="type"/> at <paramref name="sector"/> with <paramref name="length"/>
    /// bytes at <paramref name="data"/> (none when zero) and notifies; true once the device used it within
    /// <paramref name="patience"/>, with the status in <see cref="Status"/>.
    /// </summary>
    public bool Run(uint type, ulong sector, ulong data, int length, TimeSpan patience)
    {
        _qtest.WriteL(_header, type);
        _qtest.WriteL(_header + 4, 0);
        _qtest.WriteQ(_header + 8, sector);
        _qtest.WriteB(_status, StatusUnset);
        VirtqBuffer header = new(_header, HeaderBytes, DeviceWrites: false);
        VirtqBuffer status = new(_status, 1, DeviceWrites: true);
        _usedBefore = _queue.Add(length == 0
            ? [header, status]
            : [header, new VirtqBuffer(data, (uint)length, DeviceWrites: type == TypeIn), status]);
        _notify();
        return Await(patience);
    }

    /// <summary>Waits again for the last request (held while the machine stopped on an I/O error).</summary>
    public bool Await(TimeSpan patience) => _queue.WaitForUsed(_usedBefore, patience);

    /// <summary>The status byte the device wrote for the last request (0xFF while it has not).</summary>
    public byte Status => _qtest.ReadB(_status);
}
