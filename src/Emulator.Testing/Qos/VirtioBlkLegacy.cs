using System.Diagnostics;

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
    public const int Sector = 512;

    /// <summary>VIRTIO_BLK_S_OK, _IOERR, _UNSUPP.</summary>
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
    private const int PageBytes = 1 << PageShift;
    private const int DescriptorBytes = 16;
    private const int RequestHeaderBytes = 16;
    private const ushort Next = 1;
    private const ushort Write = 2;
    private const uint TypeIn = 0;
    private const uint TypeOut = 1;
    private const int PollSteps = 200;
    private const ulong StepNanoseconds = 100_000;
    private const byte StatusUnset = 0xFF;

    private readonly IQtest _qtest;
    private readonly PciDevice _device;
    private readonly GuestAllocator _allocator;
    private PciBar? _bar;
    private int _queueSize;
    private ulong _rings;
    private ulong _header;
    private ulong _data;
    private ulong _status;
    private ulong _avail;
    private ulong _used;
    private ushort _usedBefore;

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
        _queueSize = _bar.ReadW(QueueSize);
        var availBytes = 4 + (2 * _queueSize) + 2;
        var ringBytes = (ulong)((((DescriptorBytes * _queueSize) + availBytes + PageBytes - 1) & ~(PageBytes - 1)) + PageBytes);
        _rings = _allocator.Allocate(ringBytes);
        _qtest.Memset(_rings, (int)ringBytes, 0);
        _avail = _rings + (ulong)(DescriptorBytes * _queueSize);
        _used = (_avail + (ulong)availBytes + PageBytes - 1) & ~(ulong)(PageBytes - 1);
        _header = _allocator.Allocate(RequestHeaderBytes);
        _data = _allocator.Allocate(Sector);
        _status = _allocator.Allocate(1);
        _bar.WriteL(QueuePfn, (uint)(_rings >> PageShift));
        _bar.WriteB(DeviceStatus, Acknowledge | Driver | DriverOk);
    }

    /// <summary>The device's legacy feature bits (virtio 1.2 section 4.1.4.8: the low 32 bits).</summary>
    public uint ReadHostFeatures() => Bar.ReadL(HostFeatures);

    /// <summary>Reads one sector; returns the status byte and the data, or null when the used ring never moved.</summary>
    public (byte Status, byte[] Data)? ReadSector(ulong sector)
    {
        Submit(TypeIn, sector, dataFlags: Next | Write);
        return UsedIndexMoves(Patience) ? (_qtest.ReadB(_status), _qtest.Memread(_data, Sector)) : null;
    }

    /// <summary>Writes one sector filled with <paramref name="fill"/>; returns the status byte, or null when the used ring never moved.</summary>
    public byte? WriteSector(ulong sector, byte fill)
    {
        _qtest.Memset(_data, Sector, fill);
        Submit(TypeOut, sector, dataFlags: Next);
        return UsedIndexMoves(Patience) ? _qtest.ReadB(_status) : null;
    }

    /// <summary>
    /// After a request that returned null (held: the machine stopped on an I/O error), waits for it to
    /// complete; returns its status byte, or null when it never does.
    /// </summary>
    public byte? AwaitLastRequest(TimeSpan? patience = null) =>
        UsedIndexMoves(patience ?? Patience) ? _qtest.ReadB(_status) : null;

    private PciBar Bar => _bar ?? throw new InvalidOperationException("Initialize first");

    /// <summary>A three-descriptor request (header, one sector, status) made available and notified.</summary>
    private void Submit(uint type, ulong sector, ushort dataFlags)
    {
        var bar = Bar;
        _qtest.WriteL(_header, type);
        _qtest.WriteL(_header + 4, 0);
        _qtest.WriteQ(_header + 8, sector);
        _qtest.WriteB(_status, StatusUnset);
        Descriptor(0, _header, RequestHeaderBytes, Next, 1);
        Descriptor(1, _data, Sector, dataFlags, 2);
        Descriptor(2, _status, 1, Write, 0);
        _usedBefore = _qtest.ReadW(_used + 2);
        var availIndex = _qtest.ReadW(_avail + 2);
        _qtest.WriteW(_avail + 4 + (ulong)(2 * (availIndex % _queueSize)), 0);
        _qtest.WriteW(_avail + 2, (ushort)(availIndex + 1));
        bar.WriteW(QueueNotify, 0);
    }

    /// <summary>
    /// Polls the used ring's index while virtual time steps: true once it moved, false after
    /// <see cref="PollSteps"/> polls and <paramref name="patience"/> of host time.
    /// </summary>
    private bool UsedIndexMoves(TimeSpan patience)
    {
        var polling = Stopwatch.StartNew();
        for (var i = 0; i < PollSteps || polling.Elapsed < patience; i++)
        {
            if (_qtest.ReadW(_used + 2) != _usedBefore)
            {
                return true;
            }

            _qtest.ClockStep(StepNanoseconds);
        }

        return false;
    }

    private void Descriptor(int index, ulong address, int length, ushort flags, ushort next)
    {
        var at = _rings + (ulong)(DescriptorBytes * index);
        _qtest.WriteQ(at, address);
        _qtest.WriteL(at + 8, (uint)length);
        _qtest.WriteW(at + 12, flags);
        _qtest.WriteW(at + 14, next);
    }
}
