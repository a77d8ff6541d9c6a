using System.Diagnostics;
using System.Runtime.InteropServices;
using Emulator.Block.Graph;
using Emulator.Block.Tracing;

namespace Emulator.Block.Backend;

/// <summary>
/// The device-facing handle to storage (QEMU's BlockBackend): an optional root node (none = empty
/// drive), one attached device with its <see cref="IBlockDevOps"/>, iostatus, the rerror/werror
/// policies, the guest-visible write cache, accounting, and I/O. Devices, the monitor and tools
/// only ever see this type.
/// <para>
/// Threads: everything except <see cref="Submit"/> runs on the machine thread. <see cref="Submit"/>
/// may be called from any thread; the completion is always delivered on the machine thread through
/// the <see cref="BlockCompletionQueue"/>, never before <see cref="Submit"/> returns.
/// </para>
/// </summary>
public sealed class BlockBackend
{
    private readonly BlockLayer _layer;
    private BlockDriverState? _root;
    private IBlockDevOps? _devOps;
    private bool _ioStatusRequested;
    private int _inFlight;
    private int _traceName;

    internal BlockBackend(BlockLayer layer, BlockBackendOptions options)
    {
        _layer = layer;
        Name = options.Name ?? string.Empty;
        ReadErrorPolicy = options.ReadErrorPolicy;
        WriteErrorPolicy = options.WriteErrorPolicy;
        WriteCacheEnabled = options.WriteCache;
        EmptyReadOnly = options.ReadOnly;
        DetectZeroes = options.DetectZeroes;
        _traceName = Name.Length > 0 ? IoTrace.RegisterName(Name) : -1;
    }

    /// <summary>The user-visible name, or "" for an anonymous backend.</summary>
    public string Name { get; internal set; }

    /// <summary>References held: the creator's, one per attached device and one per <see cref="Ref"/>; 0 once deleted.</summary>
    public int RefCount { get; private set; } = 1;

    /// <summary>What a failed asynchronous read does (<c>-drive rerror=</c>); applied by <see cref="ApplyErrorPolicy"/>.</summary>
    public BlockErrorPolicy ReadErrorPolicy { get; set; }

    /// <summary>What a failed asynchronous write, flush, discard or write-zeroes does (<c>-drive werror=</c>).</summary>
    public BlockErrorPolicy WriteErrorPolicy { get; set; }

    /// <summary>The guest-visible write cache (IDE SET FEATURES 02h/82h, virtio-blk WCE). When off, writes carry FUA.</summary>
    public bool WriteCacheEnabled { get; set; }

    /// <summary>detect-zeroes given for this backend (-drive detect-zeroes=): set on every root it gets (<see cref="BlockDriverState.DetectZeroes"/>).</summary>
    public DetectZeroes DetectZeroes { get; }

    /// <summary>The accounting of asynchronous requests (<c>query-blockstats</c>); updated on the machine thread only.</summary>
    public BlockAcctStats Stats { get; } = new();

    /// <summary>A medium is inserted (the tray may still be open).</summary>
    public bool IsInserted => _root is not null;

    /// <summary>A medium is inserted and the tray is closed: I/O is possible.</summary>
    public bool IsAvailable => _root is not null && !IsTrayOpen;

    /// <summary>Writes are refused: the medium is read-only, or an empty drive was created read-only.</summary>
    public bool IsReadOnly => _root?.ReadOnly ?? EmptyReadOnly;

    /// <summary>Size of the medium in bytes; 0 when there is none.</summary>
    public long Length => _root is { } root && !_layer.IsClosed ? root.Length : 0;

    /// <summary>The root node's name, when a medium is inserted (<c>query-block</c>'s inserted.node-name).</summary>
    public string? RootNodeName => _root?.NodeName;

    /// <summary>The image file behind the medium, when one is inserted.</summary>
    public string? Filename => _root?.Driver.Filename;

    /// <summary>The root node's driver name ("raw", "qcow2" …), when a medium is inserted.</summary>
    public string? FormatName => _root?.DriverName;

    /// <summary>Asynchronous requests submitted and not yet delivered to their handler. Any thread.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>True while a device model is attached.</summary>
    public bool HasDevice => _devOps is not null;

    /// <summary>The attached device's id (qdev id), or "" when none is attached.</summary>
    public string DeviceId { get; private set; } = string.Empty;

    /// <summary>The attached device's QOM path, or "".</summary>
    public string DeviceQomPath { get; private set; } = string.Empty;

    /// <summary>No device, or a device that takes media changes (QEMU's blk_dev_has_removable_media).</summary>
    public bool HasRemovableMedia => _devOps is null || Has(BlockDevCapabilities.ChangeMedia);

    /// <summary>True when the attached device has a tray (a CD-ROM); false without a device.</summary>
    public bool HasTray => Has(BlockDevCapabilities.Tray);

    /// <summary>True when the attached device has a tray and it is open; an open tray makes the medium unavailable.</summary>
    public bool IsTrayOpen => Has(BlockDevCapabilities.Tray) && _devOps!.IsTrayOpen;

    /// <summary>True when the guest locked the medium in the attached device (PREVENT ALLOW MEDIUM REMOVAL); eject then needs force.</summary>
    public bool IsMediumLocked => Has(BlockDevCapabilities.MediumLock) && _devOps!.IsMediumLocked;

    /// <summary>iostatus is reported only when the device asked for it and a policy can stop the VM.</summary>
    public bool IoStatusEnabled => _ioStatusRequested
        && (WriteErrorPolicy is BlockErrorPolicy.Enospc or BlockErrorPolicy.Stop || ReadErrorPolicy == BlockErrorPolicy.Stop);

    /// <summary>The I/O status <c>query-block</c> shows: set by the first error a stop policy acts on (only when <see cref="IoStatusEnabled"/>), back to ok through <see cref="ResetIoStatus"/> or a device attach.</summary>
    public IoStatus IoStatus { get; private set; }

    internal BlockDriverState? Root => _root;

    internal bool EmptyReadOnly { get; set; }

    /// <summary>Takes one more reference; each needs a matching <see cref="Unref"/>. Machine/monitor thread.</summary>
    public void Ref() => RefCount++;

    /// <summary>Drops a reference; the last one drains the backend, drops its medium and forgets its name.</summary>
    public void Unref()
    {
        if (RefCount <= 0)
        {
            throw new InvalidOperationException("The backend was already deleted.");
        }

        if (RefCount == 1 && _devOps is not null)
        {
            throw new InvalidOperationException($"Backend '{Name}' still has device '{DeviceId}' attached.");
        }

        if (--RefCount > 0)
        {
            return;
        }

        if (_root is not null)
        {
            RemoveRoot();
        }

        _layer.Forget(this);
    }

    /// <summary>Attaches the one device this backend serves; a second attach fails (QEMU: -EBUSY). Resets iostatus.</summary>
    public void AttachDevice(IBlockDevOps ops, string deviceId, string? qomPath = null)
    {
        ArgumentNullException.ThrowIfNull(ops);
        if (_devOps is not null)
        {
            throw new BlockOperationException($"Drive '{Name}' is already in use by device '{DeviceId}'");
        }

        _devOps = ops;
        DeviceId = deviceId ?? string.Empty;
        DeviceQomPath = qomPath ?? DeviceId;
        if (Name.Length == 0)
        {
            _traceName = IoTrace.RegisterName(DeviceId);
        }
        Ref();
        IoStatus = IoStatus.Ok;
    }

    /// <summary>Detaches the device attached with <see cref="AttachDevice"/> and drops the reference it held (the last one deletes the backend).</summary>
    /// <exception cref="InvalidOperationException"><paramref name="ops"/> is not the attached device.</exception>
    public void DetachDevice(IBlockDevOps ops)
    {
        if (!ReferenceEquals(_devOps, ops))
        {
            throw new InvalidOperationException("Only the attached device can detach itself.");
        }

        _devOps = null;
        _ioStatusRequested = false;
        DeviceId = DeviceQomPath = string.Empty;
        Unref();
    }

    /// <summary>Called by device models that keep an I/O status (IDE, virtio-blk; not the floppy). Resets it to ok.</summary>
    public void EnableIoStatus()
    {
        _ioStatusRequested = true;
        IoStatus = IoStatus.Ok;
    }

    /// <summary>Back to ok (QMP <c>cont</c> does this for every backend).</summary>
    public void ResetIoStatus() => IoStatus = IoStatus.Ok;

    /// <summary>
    /// The guest opened or closed the tray itself (ATAPI START STOP UNIT with LoEj). Always emits
    /// <c>DEVICE_TRAY_MOVED</c>, even with no medium, as QEMU's blk_eject does.
    /// </summary>
    public void GuestEject(bool trayOpen) =>
        _layer.Events.Publish(new DeviceTrayMovedEvent(Name, DeviceId, trayOpen));

    /// <summary>
    /// The action the policy takes for a failed request, with its side effects: <c>BLOCK_IO_ERROR</c>
    /// for every action, and for stop the iostatus and a VM stop request. Asynchronous requests get
    /// this automatically; devices call it for errors they detect on their own paths.
    /// </summary>
    public BlockErrorAction ApplyErrorPolicy(bool isRead, BlockError error)
    {
        var policy = isRead ? ReadErrorPolicy : WriteErrorPolicy;
        var action = policy switch
        {
            BlockErrorPolicy.Ignore => BlockErrorAction.Ignore,
            BlockErrorPolicy.Stop => BlockErrorAction.Stop,
            BlockErrorPolicy.Enospc when error == BlockError.NoSpace => BlockErrorAction.Stop,
            _ => BlockErrorAction.Report,
        };

        if (action == BlockErrorAction.Stop && IoStatusEnabled && IoStatus == IoStatus.Ok)
        {
            // The first error sticks until the status is reset.
            IoStatus = error == BlockError.NoSpace ? IoStatus.NoSpace : IoStatus.Failed;
        }

        _layer.Events.Publish(new BlockIoErrorEvent(
            DeviceQomPath,
            Name,
            _root?.NodeName,
            isRead ? "read" : "write",
            action.ToString().ToLowerInvariant(),
            IoStatusEnabled ? error == BlockError.NoSpace : null,
            error.Describe()));

        if (action == BlockErrorAction.Stop)
        {
            _layer.RunControl?.RequestStopForIoError();
        }

        return action;
    }

    /// <summary>
    /// Submits an asynchronous request. Checks come first (range, medium, read-only); a refused request
    /// completes like any other, with the error, through the completion queue. Any thread.
    /// </summary>
    public void Submit(BlockRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.MarkInFlight();
        request.Backend = this;
        request.Invalid = false;
        request.Next = null;
        request.StartTimestamp = Stopwatch.GetTimestamp();
        request.Sequence = _layer.NextSequence();
        var depth = Interlocked.Increment(ref _inFlight);
        if (IoTrace.Enabled)
        {
            IoTrace.Submitted(request, _traceName, depth, request.StartTimestamp);
        }
        else
        {
            request.TraceSpan = 0;
        }

        var root = _root;
        var check = Check(request.Kind, request.Offset, request.Length, root);
        if (check != BlockError.None)
        {
            request.Error = check;
            request.Invalid = check.IsRequestError();
            _layer.Completions.Post(request);
            return;
        }

        if (root!.IsNonBlocking)
        {
            Execute(request);
        }
        else if (TryNoWaitTraced(root, request))
        {
            _layer.Completions.Post(request);
        }
        else
        {
            _layer.Workers.Enqueue(request);
        }
    }

    /// <summary>
    /// Reads <paramref name="buffer"/>.Length bytes at byte <paramref name="offset"/> of the medium, blocking the calling
    /// thread until done. For tools and set-up code: it goes through the same checks as <see cref="Submit"/> (range,
    /// medium, closed layer) but does no accounting and applies no error policy (QEMU's blk_pread).
    /// </summary>
    /// <returns><see cref="BlockError.None"/>, or the refusal (<see cref="BlockError.OutOfRange"/>, <see cref="BlockError.NoMedium"/>) or driver error.</returns>
    public BlockError Read(long offset, Memory<byte> buffer) =>
        RunSync(BlockRequestKind.Read, offset, buffer.Length, buffer, BlockRequestFlags.None);

    /// <summary>
    /// Writes <paramref name="buffer"/> at byte <paramref name="offset"/>, blocking until done; with the write cache off the
    /// write is forced to stable storage (FUA). Like <see cref="Read"/>: checked, not accounted, no error policy.
    /// </summary>
    /// <returns><see cref="BlockError.None"/>, <see cref="BlockError.ReadOnly"/> on a read-only medium, a range or medium refusal, or the driver's error.</returns>
    public BlockError Write(long offset, ReadOnlyMemory<byte> buffer, BlockRequestFlags flags = BlockRequestFlags.None) =>
        RunSync(BlockRequestKind.Write, offset, buffer.Length, MemoryMarshal.AsMemory(buffer), flags);

    /// <summary>
    /// Flushes every cache between the medium and stable storage, blocking until done (no accounting, no error policy).
    /// Returns <see cref="BlockError.NoMedium"/> without a medium, else the driver's result.
    /// </summary>
    public BlockError Flush() => RunSync(BlockRequestKind.Flush, 0, 0, Memory<byte>.Empty, BlockRequestFlags.None);

    /// <summary>
    /// Discards <paramref name="length"/> bytes at <paramref name="offset"/> (a hint: the range may read as before or as zeroes
    /// afterwards), blocking until done. Refused on a read-only medium or out of range; no accounting, no error policy.
    /// </summary>
    public BlockError Discard(long offset, long length) =>
        RunSync(BlockRequestKind.Discard, offset, length, Memory<byte>.Empty, BlockRequestFlags.None);

    /// <summary>
    /// Makes <paramref name="length"/> bytes at <paramref name="offset"/> read as zeroes, blocking until done; with
    /// <see cref="BlockRequestFlags.MayUnmap"/> the driver may deallocate the range instead. Checked like <see cref="Write"/>.
    /// </summary>
    public BlockError WriteZeroes(long offset, long length, BlockRequestFlags flags = BlockRequestFlags.None) =>
        RunSync(BlockRequestKind.WriteZeroes, offset, length, Memory<byte>.Empty, flags);

    /// <summary>Resizes the medium (<c>block_resize</c>); the device hears about it through <see cref="IBlockDevOps.Resized"/>.</summary>
    public BlockError Truncate(long length)
    {
        if (length < 0)
        {
            return BlockError.OutOfRange;
        }

        if (_root is not { } root)
        {
            return BlockError.NoMedium;
        }

        var error = Wait(root.TruncateAsync(length));
        if (error == BlockError.None && Has(BlockDevCapabilities.Resize))
        {
            _devOps!.Resized();
        }

        return error;
    }

    /// <summary>Runs completions until no request of this backend is in flight. Machine thread only.</summary>
    public void Drain()
    {
        while (Volatile.Read(ref _inFlight) > 0)
        {
            if (_layer.Completions.RunPending() == 0)
            {
                _layer.Completions.WaitForPending(TimeSpan.FromMilliseconds(50));
            }
        }
    }

    /// <summary>The backend's name, or for an anonymous one the device that holds it (for messages).</summary>
    public override string ToString() => Name.Length > 0 ? Name : $"<anonymous backend of '{DeviceId}'>";

    /// <summary>Runs the driver operation of a checked request (worker thread, or inline for non-blocking drivers).</summary>
    internal void Execute(BlockRequest request)
    {
        // Driver stamps on this thread belong to this request's span until the driver call returns.
        var span = request.TraceSpan;
        if (span != 0)
        {
            IoTrace.CurrentSpan = span;
        }

        request.Run(Dispatch(_root!, request.Kind, request.Offset, request.Length, request.Buffer, request.Flags));
        if (span != 0)
        {
            IoTrace.CurrentSpan = 0;
        }
    }

    /// <summary>The root node's name id in I/O traces, -1 without a medium (any thread: a recent value will do).</summary>
    internal int TraceRootName => _root?.TraceName ?? -1;

    internal void DriverCompleted(BlockRequest request) => _layer.Completions.Post(request);

    /// <summary>Accounts, applies the error policy and calls the device. Machine thread, from the completion queue.</summary>
    internal void Deliver(BlockRequest request)
    {
        var type = AcctTypeOf(request.Kind);

        // One host clock reading for the accounting and the trace's delivered stamp.
        var now = request.Invalid && !IoTrace.Enabled ? 0 : Stopwatch.GetTimestamp();
        if (request.Invalid)
        {
            Stats.Invalid(type);
        }
        else if (request.Error == BlockError.None)
        {
            Stats.Done(type, request.Length, request.StartTimestamp, now);
            if (type == BlockAcctType.Write)
            {
                Stats.WroteUpTo(request.Offset + request.Length);
            }
        }
        else
        {
            Stats.Failed(type, request.StartTimestamp, now);
            request.ErrorAction = ApplyErrorPolicy(request.Kind == BlockRequestKind.Read, request.Error);
        }

        if (IoTrace.Enabled)
        {
            IoTrace.Delivered(request.TraceSpan, (short)request.Error, now);
        }

        request.ClearInFlight();
        Interlocked.Decrement(ref _inFlight);
        request.Handler.OnBlockRequestCompleted(request);
    }

    /// <summary>Makes <paramref name="node"/> the medium; the caller's reference moves to the backend.</summary>
    internal void InsertRoot(BlockDriverState node)
    {
        if (_root is not null)
        {
            throw new InvalidOperationException("The backend already has a medium.");
        }

        if (DetectZeroes != DetectZeroes.Off)
        {
            node.DetectZeroes = DetectZeroes;
        }

        _root = node;
    }

    /// <summary>Takes back a root just inserted that the device refused, leaving the reference with the caller.</summary>
    internal void UndoInsertRoot() => _root = null;

    /// <summary>Drains, then drops the medium (keeping its read-only mode for a later change-medium).</summary>
    internal void RemoveRoot()
    {
        Drain();
        var root = _root!;
        EmptyReadOnly = root.ReadOnly;
        _root = null;
        _layer.Graph.Unref(root);
    }

    /// <summary>Tells the device its medium changed and emits exactly one tray event if the tray really moved.</summary>
    internal string? NotifyChangeMedia(bool load)
    {
        if (!Has(BlockDevCapabilities.ChangeMedia))
        {
            return null;
        }

        var trayWasOpen = IsTrayOpen;
        var error = _devOps!.ChangeMedia(load);
        var trayIsOpen = IsTrayOpen;
        if (trayWasOpen != trayIsOpen)
        {
            _layer.Events.Publish(new DeviceTrayMovedEvent(Name, DeviceId, trayIsOpen));
        }

        return error;
    }

    internal void NotifyEjectRequest(bool force)
    {
        if (Has(BlockDevCapabilities.EjectRequest))
        {
            _devOps!.EjectRequested(force);
        }
    }

    private bool Has(BlockDevCapabilities capability) => _devOps is not null && (_devOps.Capabilities & capability) != 0;

    private bool TryNoWaitTraced(BlockDriverState root, BlockRequest request)
    {
        var span = request.TraceSpan;
        if (span == 0)
        {
            return TryNoWait(root, request);
        }

        IoTrace.CurrentSpan = span;
        var done = TryNoWait(root, request);
        IoTrace.CurrentSpan = 0;
        return done;
    }

    /// <summary>Runs a read or an ordinary write inline when the driver can do it without blocking (data in the page cache).</summary>
    private bool TryNoWait(BlockDriverState root, BlockRequest request)
    {
        BlockError error;
        var done = request.Kind switch
        {
            BlockRequestKind.Read => root.TryReadNoWait(request.Offset, request.Buffer, out error),
            BlockRequestKind.Write when (WriteFlags(request.Flags) & BlockRequestFlags.Fua) == 0 =>
                root.TryWriteNoWait(request.Offset, request.Buffer, out error),
            _ => NotTried(out error),
        };
        request.Error = error;
        return done;

        static bool NotTried(out BlockError error)
        {
            error = BlockError.None;
            return false;
        }
    }

    private BlockRequestFlags WriteFlags(BlockRequestFlags flags) => WriteCacheEnabled ? flags : flags | BlockRequestFlags.Fua;

    private BlockError Check(BlockRequestKind kind, long offset, long length, BlockDriverState? root)
    {
        if (offset < 0 || length < 0)
        {
            return BlockError.OutOfRange;
        }

        if (root is null || IsTrayOpen || _layer.IsClosed)
        {
            return BlockError.NoMedium;
        }

        if (kind == BlockRequestKind.Flush)
        {
            return BlockError.None;
        }

        if (kind != BlockRequestKind.Read && root.ReadOnly)
        {
            return BlockError.ReadOnly;
        }

        return offset > root.Length - length ? BlockError.OutOfRange : BlockError.None;
    }

    private BlockError RunSync(BlockRequestKind kind, long offset, long length, Memory<byte> buffer, BlockRequestFlags flags)
    {
        var root = _root;
        var check = Check(kind, offset, length, root);
        if (check != BlockError.None)
        {
            return check;
        }

        var error = Wait(Dispatch(root!, kind, offset, length, buffer, flags));
        _layer.PublishDriverEvents();
        return error;
    }

    private ValueTask<BlockError> Dispatch(BlockDriverState root, BlockRequestKind kind, long offset, long length, Memory<byte> buffer, BlockRequestFlags flags) =>
        kind switch
        {
            BlockRequestKind.Read => root.ReadAsync(offset, buffer),
            BlockRequestKind.Write => root.WriteAsync(offset, buffer, WriteFlags(flags)),
            BlockRequestKind.Flush => root.FlushAsync(),
            BlockRequestKind.Discard => root.DiscardAsync(offset, length),
            _ => root.WriteZeroesAsync(offset, length, WriteFlags(flags)),
        };

    private BlockError Wait(ValueTask<BlockError> operation)
    {
        if (operation.IsCompleted)
        {
            return operation.Result;
        }

        // Called from a completion handler, the request may be held in a plugged batch: send it first.
        _layer.Completions.SendHeld();
        return operation.AsTask().GetAwaiter().GetResult();
    }

    private static BlockAcctType AcctTypeOf(BlockRequestKind kind) => kind switch
    {
        BlockRequestKind.Read => BlockAcctType.Read,
        BlockRequestKind.Flush => BlockAcctType.Flush,
        BlockRequestKind.Discard => BlockAcctType.Unmap,
        _ => BlockAcctType.Write,
    };
}
