namespace Emulator.Testing.Qos;

/// <summary>
/// libqos's virtio-blk driver over the modern transport (<see cref="VirtioPciModern"/>): VIRTIO_F_VERSION_1
/// (and any other offered features the test asks for) negotiated with FEATURES_OK, queue 0 set up by address,
/// requests of any whole number of sectors with a buffer from the <see cref="GuestAllocator"/>, the used ring
/// polled while virtual time steps. The request code and the queue are the ones <see cref="VirtioBlkLegacy"/>
/// uses. Constants are the spec's (virtio 1.2 sections 4.1.4 and 5.2), not the device model's.
/// </summary>
public sealed class VirtioBlkModern
{
    /// <summary>The request unit of virtio-blk: sector numbers count 512 bytes whatever the block size.</summary>
    public const int Sector = 512;

    /// <summary>VIRTIO_BLK_S_OK.</summary>
    public const byte StatusOk = 0;

    /// <summary>VIRTIO_BLK_S_IOERR.</summary>
    public const byte StatusIoError = 1;

    /// <summary>VIRTIO_BLK_S_UNSUPP.</summary>
    public const byte StatusUnsupported = 2;

    /// <summary>VIRTIO_BLK_F_FLUSH (section 5.2.3).</summary>
    public const int FeatureFlush = 9;

    /// <summary>virtio_blk_config.capacity: le64, in 512-byte sectors (section 5.2.4).</summary>
    public const int CapacityOffset = 0;

    private readonly GuestAllocator _allocator;
    private VirtioBlkRequests? _requests;
    private Virtqueue? _queue;

    /// <summary>A driver for the virtio-blk function <paramref name="device"/>, with buffers from <paramref name="allocator"/>.</summary>
    public VirtioBlkModern(PciDevice device, GuestAllocator allocator)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(allocator);
        _allocator = allocator;
        Transport = new VirtioPciModern(device);
    }

    /// <summary>The modern transport, for what the block helpers do not cover (ISR, other queues, raw status).</summary>
    public VirtioPciModern Transport { get; }

    /// <summary>How long (host time) a request may take before it counts as unanswered, beyond the first polls.</summary>
    public TimeSpan Patience { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The features both sides agreed on in <see cref="Initialize"/>.</summary>
    public ulong NegotiatedFeatures { get; private set; }

    /// <summary>Queue 0, set up by <see cref="Initialize"/>.</summary>
    public Virtqueue Queue => _queue ?? throw new InvalidOperationException("Initialize first");

    /// <summary>
    /// Finds the capabilities and maps the BARs, negotiates VERSION_1 plus those of <paramref name="wanted"/> the
    /// device offers, sets up queue 0 and sets DRIVER_OK. A device that does not offer VERSION_1 or refuses
    /// FEATURES_OK is an <see cref="InvalidOperationException"/> (FAILED is set first, as a driver does).
    /// </summary>
    public void Initialize(ulong wanted = 0)
    {
        Transport.Initialize();
        var offered = Transport.ReadDeviceFeatures();
        var version1 = 1UL << VirtioPciModern.FeatureVersion1;
        if ((offered & version1) == 0)
        {
            Transport.SetStatus(VirtioPciModern.Failed);
            throw new InvalidOperationException($"the device does not offer VIRTIO_F_VERSION_1 (features 0x{offered:x16})");
        }

        NegotiatedFeatures = (wanted & offered) | version1;
        if (!Transport.NegotiateFeatures(NegotiatedFeatures))
        {
            Transport.SetStatus(VirtioPciModern.Failed);
            throw new InvalidOperationException($"the device refused FEATURES_OK for 0x{NegotiatedFeatures:x16}");
        }

        _queue = Transport.SetupQueue(0, _allocator);
        _requests = new VirtioBlkRequests(Transport.Device.Bus.Qtest, _allocator, _queue, () => Transport.Notify(_queue));
        Transport.SetStatus(VirtioPciModern.Acknowledge | VirtioPciModern.Driver | VirtioPciModern.FeaturesOk | VirtioPciModern.DriverOk);
    }

    /// <summary>The disk's size in 512-byte sectors, from the device configuration.</summary>
    public ulong Capacity() => Transport.ReadConfigQ(CapacityOffset);

    /// <summary>Reads <paramref name="sectors"/> sectors at <paramref name="sector"/>: the status and data, or null when the used ring never moved.</summary>
    public (byte Status, byte[] Data)? Read(ulong sector, int sectors)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sectors);
        var length = checked(sectors * Sector);
        var qtest = Transport.Device.Bus.Qtest;
        var buffer = _allocator.Allocate((ulong)length);
        try
        {
            return Requests.Run(VirtioBlkRequests.TypeIn, sector, buffer, length, Patience)
                ? (Requests.Status, qtest.Memread(buffer, length))
                : null;
        }
        finally
        {
            _allocator.Free(buffer);
        }
    }

    /// <summary>Writes <paramref name="data"/> (whole sectors) at <paramref name="sector"/>: the status, or null when the used ring never moved.</summary>
    public byte? Write(ulong sector, ReadOnlySpan<byte> data)
    {
        if (data.Length == 0 || data.Length % Sector != 0)
        {
            throw new ArgumentException($"a write is a whole number of {Sector}-byte sectors", nameof(data));
        }

        var qtest = Transport.Device.Bus.Qtest;
        var buffer = _allocator.Allocate((ulong)data.Length);
        try
        {
            qtest.Write(buffer, data);
            return Requests.Run(VirtioBlkRequests.TypeOut, sector, buffer, data.Length, Patience) ? Requests.Status : null;
        }
        finally
        {
            _allocator.Free(buffer);
        }
    }

    /// <summary>VIRTIO_BLK_T_FLUSH: the status (UNSUPP without VIRTIO_BLK_F_FLUSH negotiated), or null when the used ring never moved.</summary>
    public byte? Flush() => Requests.Run(VirtioBlkRequests.TypeFlush, 0, 0, 0, Patience) ? Requests.Status : null;

    private VirtioBlkRequests Requests => _requests ?? throw new InvalidOperationException("Initialize first");
}
