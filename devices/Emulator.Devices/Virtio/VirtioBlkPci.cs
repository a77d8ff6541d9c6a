using System.Buffers.Binary;
using System.Text;
using Emulator.Block.Backend;
using Emulator.Block.Tracing;
using Emulator.Devices.Lifecycle;
using Emulator.Devices.Pci;
using Emulator.Machine.Lifecycle;
using Emulator.Machine.Loop;

namespace Emulator.Devices.Virtio;

/// <summary>
/// virtio-blk on virtio-pci, transitional, as QEMU's <c>virtio-blk-pci</c> builds it on a PC
/// (virtio 1.2, section 5.2; PCI 1AF4:1001, subsystem 2): legacy I/O BAR0, modern regions and
/// MSI-X through <see cref="VirtioPciDevice"/>, one or more request queues. Requests IN, OUT,
/// FLUSH, GET_ID, DISCARD and WRITE_ZEROES; everything else is UNSUPP. The status byte is the last
/// byte of the last device-writable buffer and is written exactly once per request. Ranges and
/// alignment are checked before any I/O (IOERR, accounted invalid). Consecutive reads or writes of
/// one queue drain are merged when adjacent (<see cref="VirtioBlkMerger"/>). I/O goes through the
/// <see cref="BlockBackend"/> asynchronously; completions fill the used ring on the machine thread.
/// Error policy: report → IOERR, ignore → OK, stop → the operation is parked and resubmitted
/// unchanged when the machine runs again. A resize raises a configuration interrupt.
/// <para>Lifecycle (<see cref="IMachineDevice"/>): constructing it attaches the backend; <see cref="PcMachine.Install{T}"/>
/// (before or after the machine starts) places the function at <see cref="VirtioBlkOptions.PciSlot"/> and takes its
/// INTA# line; a machine reset is a PCI reset (queues reset, parked operations dropped); a resume resubmits the parked
/// operations; <see cref="PcMachine.Remove"/> is the hot unplug that follows the guest's eject. The host must deliver
/// the block layer's completions at the loop's fixed point.</para>
/// Limitations: requests above 16 MiB of data get IOERR; no SCSI, zoned, secure-erase or lifetime
/// requests; no iothreads (all queues run on the machine thread).
/// </summary>
public sealed class VirtioBlkPci : VirtioPciDevice, IBlockDevOps, IBlockCompletionHandler, IMachineDevice
{
    /// <summary>The PCI device id of a transitional virtio-blk function (1001h; vendor 1AF4h), which a legacy driver also recognises.</summary>
    public const ushort TransitionalDeviceId = 0x1001;
    /// <summary>The virtio device type of a block device (2), reported as the PCI subsystem id.</summary>
    public const ushort BlockDeviceType = 2;

    /// <summary>Largest data transfer of one request (and of one merged operation): bounds one bounce buffer.</summary>
    public const int MaxRequestBytes = 16 << 20;

    /// <summary>QEMU's virtio-blk-pci class: mass storage, SCSI controller.</summary>
    private const uint StorageScsiClass = 0x01_00_00;
    private const int HeaderBytes = 16;
    private const int TypeOffset = 0;
    private const int SectorOffset = 8;
    private const int StatusBytes = 1;
    private const int IdBytes = 20;
    private const int SegmentBytes = 16;
    private const int SegmentCountOffset = 8;
    private const int SegmentFlagsOffset = 12;
    private const uint UnmapFlag = 1;
    private const int MaxQueues = 1024;
    private const int MinQueueSize = 4;
    private const int MaxQueueSize = 1024;

    /// <summary>The MSI-X table must fit below the pending bits in BAR1.</summary>
    private const int MaxMsixVectors = VirtioPciLayout.MsixPbaOffset / MsixTable.EntrySize;

    private readonly PcMachine _machine;
    private readonly VirtioBlkOptions _options;
    private readonly VirtioBlkConfig _config;
    private readonly VirtioBlkMerger _merger;
    private readonly byte[] _serial;
    private readonly bool _originalWriteCache;
    private readonly int[] _queueGeneration;
    private readonly VirtioBlkPool _pool;
    private readonly List<VirtioBlkIo> _parked = [];
    private readonly bool[] _throttled;
    private int _generation;

    /// <summary>Builds the function and attaches it to <paramref name="backend"/>; <see cref="PcMachine.Install{T}"/> places it.</summary>
    public VirtioBlkPci(PcMachine machine, BlockBackend backend, VirtioBlkOptions? options = null)
        : this(machine, backend, Validate(options), Validate(options).MsixVectors ?? (Validate(options).NumQueues + 1))
    {
    }

    private VirtioBlkPci(PcMachine machine, BlockBackend backend, VirtioBlkOptions options, int msixVectors)
        : base(machine.Memory, TransitionalDeviceId, BlockDeviceType, StorageScsiClass, options.NumQueues, options.QueueSize,
            msixVectors, (int)VirtioBlkConfigOffset.End)
    {
        ArgumentNullException.ThrowIfNull(backend);
        _machine = machine;
        _options = options;
        Backend = backend;
        _config = new VirtioBlkConfig(backend, options);
        _pool = new VirtioBlkPool(this);
        _merger = new VirtioBlkMerger(this);
        _serial = Encoding.ASCII.GetBytes(options.Serial.Length > IdBytes ? options.Serial[..IdBytes] : options.Serial);
        _queueGeneration = new int[options.NumQueues];
        var traceName = options.DeviceId.Length > 0 ? options.DeviceId : backend.Name;
        TraceTracks = Enumerable.Range(0, options.NumQueues).Select(q => IoTrace.RegisterTrack($"virtio-blk {traceName}/q{q}")).ToArray();
        _throttled = new bool[options.NumQueues];
        backend.AttachDevice(this, options.DeviceId, options.QomPath);
        backend.EnableIoStatus();
        _originalWriteCache = backend.WriteCacheEnabled;
    }

    /// <summary>The block backend the device serves; attached to the device until it is removed.</summary>
    public BlockBackend Backend { get; }

    /// <summary>Backend operations parked by the stop policy, waiting for the machine to run again.</summary>
    public int ParkedOperations => _parked.Count;

    /// <summary>A virtio disk reacts to resizes (configuration change interrupt); it has no removable medium.</summary>
    public BlockDevCapabilities Capabilities => BlockDevCapabilities.Resize;

    private protected override ulong DeviceFeatures
    {
        get
        {
            var features = VirtioBlkFeatures.SegMax | VirtioBlkFeatures.Geometry | VirtioBlkFeatures.BlkSize
                | VirtioBlkFeatures.Topology | VirtioBlkFeatures.Flush;
            features |= Backend.IsReadOnly ? VirtioBlkFeatures.ReadOnly : 0;
            features |= _options.ConfigWce ? VirtioBlkFeatures.ConfigWce : 0;
            features |= _options.NumQueues > 1 ? VirtioBlkFeatures.MultiQueue : 0;
            features |= _options.Discard ? VirtioBlkFeatures.Discard : 0;
            features |= _options.WriteZeroes ? VirtioBlkFeatures.WriteZeroes : 0;
            return (ulong)features;
        }
    }

    /// <summary>Whether the driver accepted a virtio-blk feature (the transport knows only the device-independent bits).</summary>
    private bool Has(VirtioBlkFeatures feature) => (NegotiatedFeatures & (ulong)feature) != 0;

    /// <summary>Whether the device was removed (<see cref="PcMachine.Remove"/>): the function is off the bus and the backend is free.</summary>
    public bool IsUnplugged { get; private set; }

    /// <summary>A virtio-blk-pci function can be hot-unplugged.</summary>
    string? IMachineDevice.HotUnplugRefusal => null;

    /// <summary>Places the function at 00:<see cref="VirtioBlkOptions.PciSlot"/>.<see cref="VirtioBlkOptions.PciFunctionNumber"/> and wires INTA# through the chipset's router.</summary>
    void IMachineDevice.Install(DeviceHooks hooks)
    {
        ArgumentNullException.ThrowIfNull(hooks);
        hooks.PlacePciFunction(_options.PciSlot, _options.PciFunctionNumber, this);
        ConnectInterrupt(hooks.PciInterrupt(this));
    }

    void IMachineDevice.Reset(ResetKind kind) => Reset();

    void IMachineDevice.Resume() => RetryParked();

    /// <summary>
    /// Hot unplug, after the guest ejected the slot: in-flight operations are drained (their completions go stale),
    /// the function is reset (parked operations dropped, interrupts lowered) and detached from its backend, which
    /// stays for the host to reuse or delete, as QEMU's virtio-blk unrealize leaves it; the machine then takes the
    /// function off the bus.
    /// </summary>
    void IMachineDevice.Remove()
    {
        Backend.Drain();
        ResetFunction();
        Backend.DetachDevice(this);
        IsUnplugged = true;
    }

    void IBlockDevOps.Resized() => NotifyConfigChange();

    /// <summary>
    /// One of the device's block requests finished; called by the block layer's completion queue on the
    /// machine thread. Applies the error policy (report, ignore, or park under <c>stop</c>), then writes
    /// the status byte, returns the chain to the used ring and interrupts the driver.
    /// </summary>
    /// <param name="request">A request taken from the device's pool.</param>
    public void OnBlockRequestCompleted(BlockRequest request)
    {
        var io = (VirtioBlkIo)request.Tag!;
        if (io.DirectAddress is { } direct && request.Kind == BlockRequestKind.Read)
        {
            Memory.NotifyDirectWrite(direct, (int)request.Length);
        }

        if (io.DeviceGeneration != _generation)
        {
            _pool.ReleaseIo(io);
            return;
        }

        if (StopPolicy.ShouldPark(request))
        {
            _parked.Add(io);
            return;
        }

        var status = request.Error == BlockError.None || request.ErrorAction == BlockErrorAction.Ignore ? VirtioBlkStatus.Ok : VirtioBlkStatus.IoErr;
        var scatter = request.Kind == BlockRequestKind.Read && request.Error == BlockError.None && io.DirectAddress is null;
        var queue = Queues[io.First!.Queue];
        for (var member = io.First; member is not null; member = member.Next)
        {
            if (IsBroken || member.Generation != _queueGeneration[member.Queue])
            {
                continue;
            }

            if (scatter && !member.Chain.Scatter(Memory, 0, request.Buffer.Span.Slice(member.BufferOffset, member.DataBytes)))
            {
                MarkBroken(VirtqueueFault.OutsideRam);
                continue;
            }

            Finish(member, status);
        }

        _pool.ReleaseIo(io);
        if (!IsBroken)
        {
            NotifyUsed(queue);
            ResumeThrottledQueues();
        }
    }

    private protected override byte ReadDeviceConfig(int offset) => _config.Read(offset);

    private protected override void WriteDeviceConfig(int offset, byte value) => _config.Write(offset, value);

    private protected override void OnQueueNotify(int queue)
    {
        var ring = Queues[queue];
        while (!IsBroken)
        {
            if (_pool.OverBudget)
            {
                // Left in the ring; drained again when completions free room.
                _throttled[queue] = true;
                break;
            }

            if (!ring.TryPop(out var head, out var fault))
            {
                if (fault != VirtqueueFault.None)
                {
                    MarkBroken(fault);
                }

                break;
            }

            var request = _pool.RentRequest(queue, _queueGeneration[queue]);
            fault = ring.ReadChain(head, request.Chain);
            if (fault != VirtqueueFault.None)
            {
                Release(request);
                MarkBroken(fault);
                break;
            }

            Start(request);
        }

        _merger.Submit();
        if (!IsBroken)
        {
            ring.PublishAvailEvent();
        }

        // End the CPU slice, as IDE does on submit, so the loop's fixed point delivers a completion that
        // finished inline (page cache) now rather than up to a slice (20 000 instructions) later. Found with
        // emu profile: every virtio-blk request spent 200 µs virtual in "queued → delivered".
        if (Backend.InFlight > 0)
        {
            _machine.Cpu.RequestStop();
        }
    }

    private protected override void OnDeviceReset()
    {
        _generation++;
        if (_pool.DirectOperations > _parked.Count(io => io.DirectAddress is not null))
        {
            // Operations that move data straight into guest RAM must finish before the driver may
            // reuse that memory: wait for them, as QEMU drains the backend on reset. They complete stale.
            Backend.Drain();
        }

        for (var i = 0; i < _queueGeneration.Length; i++)
        {
            _queueGeneration[i]++;
        }

        _merger.Clear();
        Array.Clear(_throttled);
        foreach (var io in _parked)
        {
            _pool.ReleaseIo(io);
        }

        _parked.Clear();
        Backend.WriteCacheEnabled = _originalWriteCache;
    }

    private protected override void OnQueueReset(int queue)
    {
        _queueGeneration[queue]++;
        _throttled[queue] = false;
    }

    /// <summary>Without CONFIG_WCE the cache mode follows whether the driver knows FLUSH (writethrough for old guests), as QEMU.</summary>
    private protected override void OnDriverOk()
    {
        if (!Has(VirtioBlkFeatures.ConfigWce))
        {
            Backend.WriteCacheEnabled = Has(VirtioBlkFeatures.Flush);
        }
    }

    /// <summary>Submits one backend operation for <paramref name="first"/> and the <paramref name="members"/> - 1 requests chained to it.</summary>
    internal void SubmitData(VirtioBlkRequest first, int members, int totalBytes, bool isWrite)
    {
        var io = _pool.RentIo(first, members, _generation);
        if (TryDirect(first, totalBytes, isWrite, out var address, out var window))
        {
            // The members' data are one run of guest RAM: the backend reads or writes it in place.
            _pool.MarkDirect(io, address);
            if (isWrite)
            {
                io.Request.PrepareWrite(Offset(first.Sector), window);
            }
            else
            {
                io.Request.PrepareRead(Offset(first.Sector), window);
            }
        }
        else
        {
            var buffer = io.Buffer(totalBytes);
            if (isWrite)
            {
                for (var member = first; member is not null; member = member.Next)
                {
                    if (!member.Chain.Gather(Memory, HeaderBytes, buffer.Span.Slice(member.BufferOffset, member.DataBytes)))
                    {
                        _pool.ReleaseIo(io);
                        MarkBroken(VirtqueueFault.OutsideRam);
                        return;
                    }
                }

                io.Request.PrepareWrite(Offset(first.Sector), buffer);
            }
            else
            {
                io.Request.PrepareRead(Offset(first.Sector), buffer);
            }
        }

        if (members > 1)
        {
            Backend.Stats.AccountMerged(isWrite ? BlockAcctType.Write : BlockAcctType.Read, members - 1);
        }

        SubmitTraced(io.Request, first.Queue);
    }

    internal void Release(VirtioBlkRequest request) => _pool.Release(request);

    private static VirtioBlkOptions Validate(VirtioBlkOptions? options)
    {
        options ??= new VirtioBlkOptions();
        if (options.NumQueues is < 1 or > MaxQueues)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"num-queues must be 1..{MaxQueues}.");
        }

        if (options.QueueSize is < MinQueueSize or > MaxQueueSize || (options.QueueSize & (options.QueueSize - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"queue-size must be a power of two in {MinQueueSize}..{MaxQueueSize}.");
        }

        if (options.MsixVectors is < 0 or > MaxMsixVectors)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"vectors must be 0..{MaxMsixVectors}.");
        }

        return options;
    }

    /// <summary>True when the data of every member, in merge order, is one run of guest RAM.</summary>
    private bool TryDirect(VirtioBlkRequest first, int totalBytes, bool isWrite, out ulong address, out Memory<byte> window)
    {
        window = Memory<byte>.Empty;
        var dataOffset = isWrite ? HeaderBytes : 0;
        if (!first.Chain.TryGetContiguous(!isWrite, dataOffset, first.DataBytes, out address))
        {
            return false;
        }

        var expected = address + (ulong)first.DataBytes;
        for (var member = first.Next; member is not null; member = member.Next)
        {
            if (!member.Chain.TryGetContiguous(!isWrite, dataOffset, member.DataBytes, out var next) || next != expected)
            {
                return false;
            }

            expected += (ulong)member.DataBytes;
        }

        return Memory.TryGetRam(address, totalBytes, out window);
    }

    private static long Offset(ulong sector) => (long)sector * VirtioBlkConfig.SectorSize;

    private void Start(VirtioBlkRequest request)
    {
        var chain = request.Chain;
        Span<byte> header = stackalloc byte[HeaderBytes];
        if (chain.ReadableBytes < HeaderBytes || chain.WritableBytes < StatusBytes || !chain.Gather(Memory, 0, header))
        {
            // QEMU: "virtio-blk missing headers" / "virtio-blk request outhdr too short" → virtio_error.
            Release(request);
            MarkBroken(VirtqueueFault.BadRequest);
            return;
        }

        request.Type = (VirtioBlkRequestType)BinaryPrimitives.ReadUInt32LittleEndian(header[TypeOffset..]) & ~VirtioBlkRequestType.Barrier;
        request.Sector = BinaryPrimitives.ReadUInt64LittleEndian(header[SectorOffset..]);
        switch (request.Type)
        {
            case VirtioBlkRequestType.In:
            case VirtioBlkRequestType.Out:
                StartReadWrite(request, request.Type == VirtioBlkRequestType.Out);
                break;
            case VirtioBlkRequestType.Flush:
                _merger.Submit();
                var flush = _pool.RentIo(request, 1, _generation);
                flush.Request.PrepareFlush();
                SubmitTraced(flush.Request, request.Queue);
                break;
            case VirtioBlkRequestType.GetId:
                GetId(request);
                break;
            case VirtioBlkRequestType.Discard:
            case VirtioBlkRequestType.WriteZeroes:
                StartDiscard(request, request.Type == VirtioBlkRequestType.WriteZeroes);
                break;
            default:
                Complete(request, VirtioBlkStatus.Unsupp);
                break;
        }
    }

    /// <summary>
    /// The checks every data request shares before any I/O: out of range or too large completes IOERR (accounted as
    /// invalid <paramref name="type"/>), nothing to move completes OK. True when <paramref name="request"/> is done.
    /// </summary>
    private bool CompletedEarly(VirtioBlkRequest request, bool valid, long amount, BlockAcctType type)
    {
        if (!valid)
        {
            Backend.Stats.AccountInvalid(type);
            Complete(request, VirtioBlkStatus.IoErr);
            return true;
        }

        if (amount == 0)
        {
            Complete(request, VirtioBlkStatus.Ok);
            return true;
        }

        return false;
    }

    private void StartReadWrite(VirtioBlkRequest request, bool isWrite)
    {
        var bytes = isWrite ? request.Chain.ReadableBytes - HeaderBytes : request.Chain.WritableBytes - StatusBytes;
        if (CompletedEarly(request, RangeOk(request.Sector, bytes) && bytes <= MaxRequestBytes, bytes, isWrite ? BlockAcctType.Write : BlockAcctType.Read))
        {
            return;
        }

        request.DataBytes = (int)bytes;
        request.BufferOffset = 0;
        _pool.Reserve(request);
        if (_options.RequestMerging)
        {
            _merger.Add(request, isWrite);
        }
        else
        {
            SubmitData(request, 1, request.DataBytes, isWrite);
        }
    }

    private void GetId(VirtioBlkRequest request)
    {
        Span<byte> id = stackalloc byte[IdBytes];
        id.Clear();
        _serial.CopyTo(id);
        var length = (int)Math.Min(request.Chain.WritableBytes - StatusBytes, IdBytes);
        if (!request.Chain.Scatter(Memory, 0, id[..length]))
        {
            Release(request);
            MarkBroken(VirtqueueFault.OutsideRam);
            return;
        }

        Complete(request, VirtioBlkStatus.Ok);
    }

    /// <summary>DISCARD / WRITE_ZEROES: exactly one 16-byte segment {sector, num_sectors, flags} (5.2.6).</summary>
    private void StartDiscard(VirtioBlkRequest request, bool writeZeroes)
    {
        var payload = request.Chain.ReadableBytes - HeaderBytes;
        if (!(writeZeroes ? _options.WriteZeroes : _options.Discard) || payload > SegmentBytes)
        {
            Complete(request, VirtioBlkStatus.Unsupp);
            return;
        }

        Span<byte> segment = stackalloc byte[SegmentBytes];
        if (payload < SegmentBytes || !request.Chain.Gather(Memory, HeaderBytes, segment))
        {
            Release(request);
            MarkBroken(VirtqueueFault.BadRequest);
            return;
        }

        var sector = BinaryPrimitives.ReadUInt64LittleEndian(segment);
        var count = BinaryPrimitives.ReadUInt32LittleEndian(segment[SegmentCountOffset..]);
        var flags = BinaryPrimitives.ReadUInt32LittleEndian(segment[SegmentFlagsOffset..]);
        if ((flags & ~UnmapFlag) != 0 || (!writeZeroes && flags != 0))
        {
            Complete(request, VirtioBlkStatus.Unsupp);
            return;
        }

        var max = writeZeroes ? _options.MaxWriteZeroesSectors : _options.MaxDiscardSectors;
        if (CompletedEarly(request, count <= max && RangeOk(sector, (long)count * VirtioBlkConfig.SectorSize), count, writeZeroes ? BlockAcctType.Write : BlockAcctType.Unmap))
        {
            return;
        }

        _merger.Submit();
        var io = _pool.RentIo(request, 1, _generation);
        var length = (long)count * VirtioBlkConfig.SectorSize;
        if (writeZeroes)
        {
            io.Request.PrepareWriteZeroes(Offset(sector), length, flags != 0 ? BlockRequestFlags.MayUnmap : BlockRequestFlags.None);
        }
        else
        {
            io.Request.PrepareDiscard(Offset(sector), length);
        }

        SubmitTraced(io.Request, request.Queue);
    }

    private void SubmitTraced(BlockRequest request, int queue)
    {
        request.TraceTrack = TraceTracks[queue];
        IoTrace.Decoded(request.TraceTrack);
        Backend.Submit(request);
    }

    /// <summary>QEMU's sector range check: whole blocks, inside the medium (checked arithmetic).</summary>
    private bool RangeOk(ulong sector, long bytes)
    {
        var capacity = _config.CapacitySectors;
        return bytes >= 0 && bytes % VirtioBlkConfig.SectorSize == 0 && sector <= capacity
            && (ulong)(bytes / VirtioBlkConfig.SectorSize) <= capacity - sector;
    }

    private void Complete(VirtioBlkRequest request, VirtioBlkStatus status)
    {
        var queue = Queues[request.Queue];
        Finish(request, status);
        Release(request);
        if (!IsBroken)
        {
            NotifyUsed(queue);
        }
    }

    /// <summary>Writes the status byte and returns the chain through the used ring (the caller recycles the request).</summary>
    private void Finish(VirtioBlkRequest request, VirtioBlkStatus status)
    {
        Span<byte> statusByte = stackalloc byte[StatusBytes];
        statusByte[0] = (byte)status;
        var chain = request.Chain;
        var written = (uint)Math.Min(chain.WritableBytes, uint.MaxValue);
        var ok = Memory.TryWrite(chain.LastWritableByte, statusByte) && Queues[request.Queue].PushUsed(chain.Head, written);
        if (!ok)
        {
            MarkBroken(VirtqueueFault.OutsideRam);
        }
    }

    /// <summary>The machine resumed: the operations the <c>stop</c> policy parked run again.</summary>
    private void RetryParked()
    {
        if (_parked.Count == 0)
        {
            return;
        }

        // Resubmit in arrival order; each keeps its parameters and buffer, so nothing written is lost.
        var count = _parked.Count;
        for (var i = 0; i < count; i++)
        {
            Backend.Submit(_parked[i].Request);
        }

        _parked.RemoveRange(0, count);
    }

    private void ResumeThrottledQueues()
    {
        for (var i = 0; i < _throttled.Length && !_pool.OverBudget; i++)
        {
            if (_throttled[i])
            {
                _throttled[i] = false;
                if (Queues[i].Enabled && !IsBroken)
                {
                    OnQueueNotify(i);
                }
            }
        }
    }
}
