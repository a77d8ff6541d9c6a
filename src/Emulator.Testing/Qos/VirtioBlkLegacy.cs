namespace Emulator.Testing.Qos;

/// <summary>
/// libqos's virtio-pci driver for a legacy (transitional) virtio-blk-pci function, in qtest operations only:
/// BAR0 mapped and bus mastering on through <see cref="PciBus"/>, features negotiated to none, queue 0 by
/// PFN in memory from a <see cref="GuestAllocator"/>, one request of one sector at a time, the used ring
/// polled while virtual time steps. Constants are the spec's (virtio 1.2 sections 2.7, 4.1.4.8 and 5.2.6),
/// not the device model's. (Moved here from Emulator.Cli.Tests' QtestVirtioBlkGuest, so socket and
/// in-process tests share one driver.)
/// </summary>
public sealed class VirtioBlkLegacy
{
    /// <summary>The request unit of virtio-blk: 512 bytes.</summary>
    public const int Sector = 512;

    /// <summary>VIRTIO_BLK_S_OK (virtio 1.2 section 5.2.6).</summary>
    public const byte StatusOk = 0;

    /// <summary>Legacy header registers (no MSI-X enabled).</summary>
    private const int HostFeatures = 0x00;
    private const int GuestFeatures = 0x04;
    private const int QueuePfn = 0x08;
    private const int QueueSize = 0x0C;
    private const int QueueSelect = 0x0E;
    private const int QueueNotify = 0x10;
    private const int DeviceStatus = 0x12;

    private const byte Acknowledge = 1;
    private const byte Driver = 2;
    private const byte DriverOk = 4;
    private const int PageShift = 12;

    private readonly IQtest _qtest;
    private readonly PciDevice _device;
    private readonly GuestAllocator _allocator;
    private PciBar? _bar;
    private Virtqueue? _queue;
    private VirtioBlkRequests? _requests;
    private ulong _data;

    /// <summary>A driver for the virtio-blk function <paramref name="device"/>, with its queue and buffers from <paramref name="allocator"/>.</summary>
    public VirtioBlkLegacy(PciDevice device, GuestAllocator allocator)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(allocator);
        _device = device;
        _allocator = allocator;
        _qtest = device.Bus.Qtest;
    }

    /// <summary>
    /// How long (host time) a request may take before it counts as unanswered, beyond the first polls:
    /// the completion comes from an I/O thread, which a loaded host can hold up. Zero where an unanswered
    /// request is expected (the machine stopped on an error).
    /// </summary>
    public TimeSpan Patience { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Maps BAR0, enables I/O and bus mastering, resets the device, negotiates no features, sets up queue 0.</summary>
    public void Initialize()
    {
        _bar = _device.MapBar(0);
        _device.Enable();
        _bar.WriteB(DeviceStatus, 0);
        _bar.WriteB(DeviceStatus, Acknowledge | Driver);
        _bar.WriteL(GuestFeatures, 0);
        _bar.WriteW(QueueSelect, 0);
        _queue = new Virtqueue(_qtest, _allocator, 0, _bar.ReadW(QueueSize));
        _requests = new VirtioBlkRequests(_qtest, _allocator, _queue, () => Bar.WriteW(QueueNotify, 0));
        _data = _allocator.Allocate(Sector);
        _bar.WriteL(QueuePfn, (uint)(_queue.DescriptorTable >> PageShift));
        _bar.WriteB(DeviceStatus, Acknowledge | Driver | DriverOk);
    }

    /// <summary>The device's legacy feature bits (virtio 1.2 section 4.1.4.8: the low 32 bits).</summary>
    public uint ReadHostFeatures() => Bar.ReadL(HostFeatures);

    /// <summary>The queue <see cref="Initialize"/> set up.</summary>
    public Virtqueue Queue => _queue ?? throw new InvalidOperationException("Initialize first");

    /// <summary>Reads one sector; returns the status byte and the data, or null when the used ring never moved.</summary>
    public (byte Status, byte[] Data)? ReadSector(ulong sector) =>
        Requests.Run(VirtioBlkRequests.TypeIn, sector, _data, Sector, Patience) ? (Requests.Status, _qtest.Memread(_data, Sector)) : null;

    /// <summary>Writes one sector filled with <paramref name="fill"/>; returns the status byte, or null when the used ring never moved.</summary>
    public byte? WriteSector(ulong sector, byte fill)
    {
        _qtest.Memset(_data, Sector, fill);
        return Requests.Run(VirtioBlkRequests.TypeOut, sector, _data, Sector, Patience) ? Requests.Status : null;
    }

    /// <summary>
    /// After a request that returned null (held: the machine stopped on an I/O error), waits for it to
    /// complete; returns its status byte, or null when it never does.
    /// </summary>
    public byte? AwaitLastRequest(TimeSpan? patience = null) =>
        Requests.Await(patience ?? Patience) ? Requests.Status : null;

    private PciBar Bar => _bar ?? throw new InvalidOperationException("Initialize first");

    private VirtioBlkRequests Requests => _requests ?? throw new InvalidOperationException("Initialize first");
}
