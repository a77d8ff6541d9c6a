using Emulator.Block.Backend;
using Emulator.Block.Graph;
using Emulator.Block.Memory;
using Microsoft.Win32.SafeHandles;

namespace Emulator.Block.Drivers.File;

/// <summary>
/// The <c>file</c> protocol: positional I/O on a host file (<see cref="RandomAccess"/> on a
/// <see cref="SafeFileHandle"/>). cache=none opens with O_DIRECT where the filesystem allows it and
/// bounces unaligned requests through aligned buffers (read-modify-write for writes, serialised).
/// flush = fdatasync; FUA writes are followed by one. Discard punches holes when discard=unmap.
/// An advisory lock (exclusive for writers, shared for readers) makes a second writer fail with a
/// clear message. Reads past the end of the file return zeroes.
/// Limitation: the length is cached at open and updated by truncate; growth of the file by another
/// process is not noticed (QEMU behaves the same).
/// </summary>
internal sealed class FileDriver : BlockDriver
{
    /// <summary>O_DIRECT alignment: 4 KiB covers both 512-byte and 4K-native host disks.</summary>
    private const int DirectAlignment = 4096;
    private const int BounceChunk = 1 << 20;

    private readonly SafeFileHandle _handle;
    private readonly int _fd;
    private readonly bool _discardUnmap;
    private readonly bool _noFlush;
    private readonly Lock _bounceLock = new();
    private long _length;
    private bool _noWaitWritesRefused;
    private long _lengthBeforeBounce;

    internal FileDriver(BlockDriverState node, FileNodeOptions options)
        : base(node)
    {
        Filename = options.Filename;
        _discardUnmap = options.DiscardUnmap;
        _noFlush = options.NoFlush;
        var access = node.ReadOnly ? LinuxFile.ReadOnly : LinuxFile.ReadWrite;
        var flags = access | LinuxFile.CloseOnExec;
        _fd = -1;
        if (options.Cache == FileCacheMode.None)
        {
            _fd = LinuxFile.Open(options.Filename, flags | LinuxFile.Direct, 0);
            IsDirect = _fd >= 0;
            if (_fd < 0 && LinuxFile.LastError != LinuxFile.ErrInvalid)
            {
                throw OpenError(options.Filename, LinuxFile.LastError);
            }
        }

        if (_fd < 0)
        {
            // No O_DIRECT (tmpfs refuses it with EINVAL): fall back to the page cache.
            _fd = LinuxFile.Open(options.Filename, flags, 0);
            if (_fd < 0)
            {
                throw OpenError(options.Filename, LinuxFile.LastError);
            }
        }

        _handle = new SafeFileHandle(_fd, ownsHandle: true);
        try
        {
            if (options.Locking == FileLockMode.On)
            {
                Lock(options.Filename, node.ReadOnly);
            }

            _length = RandomAccess.GetLength(_handle);
        }
        catch (BlockOperationException)
        {
            _handle.Dispose();
            throw;
        }
    }

    /// <summary>True when the file really is open with O_DIRECT.</summary>
    public bool IsDirect { get; }

    public override string Filename { get; }

    public override long Length => Volatile.Read(ref _length);

    /// <summary>st_blocks × 512: what the file really occupies on the host (holes excluded).</summary>
    public override unsafe long? AllocatedSize
    {
        get
        {
            var stat = stackalloc byte[LinuxFile.StatSize];
            return LinuxFile.Fstat(_fd, stat) == 0 ? *(long*)(stat + LinuxFile.StatBlocksOffset) * 512 : null;
        }
    }

    /// <summary>Data and holes of the host file (SEEK_DATA/SEEK_HOLE); past its end, a hole.</summary>
    public override BlockError GetBlockStatus(long offset, long length, out BlockStatus status)
    {
        status = FileExtents.At(_fd, Length, Filename, offset, length);
        return BlockError.None;
    }

    public override ValueTask<BlockError> ReadAsync(long offset, Memory<byte> buffer)
    {
        if (IsDirect && !IsAligned(offset, buffer))
        {
            return Done(BounceRead(offset, buffer.Span));
        }

        return Done(ReadFully(offset, buffer.Span));
    }

    /// <summary>A buffered read with RWF_NOWAIT: done inline when the pages are cached, refused (EAGAIN) otherwise.</summary>
    public override unsafe bool TryReadNoWait(long offset, Memory<byte> buffer, out BlockError error)
    {
        error = BlockError.None;
        if (IsDirect)
        {
            return false;
        }

        var span = buffer.Span;
        fixed (byte* p = span)
        {
            var vec = new LinuxFile.IoVec { Base = p, Length = (nuint)span.Length };
            var n = LinuxFile.Preadv2(_fd, &vec, 1, offset, LinuxFile.RwfNoWait);
            if (n < 0)
            {
                return false;
            }

            if (n < span.Length)
            {
                // A short read is the end of the file (reads as zeroes) or pages not yet cached (go and wait).
                if (offset + n < Length)
                {
                    return false;
                }

                span[(int)n..].Clear();
            }
        }

        return true;
    }

    /// <summary>A buffered write with RWF_NOWAIT where the filesystem takes it; the first EOPNOTSUPP turns the attempt off.</summary>
    public override unsafe bool TryWriteNoWait(long offset, ReadOnlyMemory<byte> buffer, out BlockError error)
    {
        error = BlockError.None;
        if (IsDirect || Volatile.Read(ref _noWaitWritesRefused))
        {
            return false;
        }

        var span = buffer.Span;
        fixed (byte* p = span)
        {
            var vec = new LinuxFile.IoVec { Base = p, Length = (nuint)span.Length };
            var n = LinuxFile.Pwritev2(_fd, &vec, 1, offset, LinuxFile.RwfNoWait);
            if (n == span.Length)
            {
                GrewTo(offset + n);
                return true;
            }

            if (n < 0 && LinuxFile.LastError == LinuxFile.ErrNotSupported)
            {
                Volatile.Write(ref _noWaitWritesRefused, true);
            }
        }

        // Nothing, or only part, was written: the I/O thread writes all of it again.
        return false;
    }

    public override ValueTask<BlockError> WriteAsync(long offset, ReadOnlyMemory<byte> buffer, BlockRequestFlags flags)
    {
        var error = IsDirect && !IsAligned(offset, buffer)
            ? BounceWrite(offset, buffer.Span)
            : WriteFully(offset, buffer.Span);
        if (error == BlockError.None && (flags & BlockRequestFlags.Fua) != 0)
        {
            error = Sync();
        }

        return Done(error);
    }

    public override ValueTask<BlockError> FlushAsync() => Done(Sync());

    public override ValueTask<BlockError> DiscardAsync(long offset, long length)
    {
        if (!_discardUnmap || length == 0)
        {
            return Done(BlockError.None);
        }

        // Discard is advisory: a filesystem that cannot punch holes just keeps the data.
        var error = Fallocate(LinuxFile.FallocPunchHole | LinuxFile.FallocKeepSize, offset, length);
        return Done(error == BlockError.Unsupported ? BlockError.None : error);
    }

    public override ValueTask<BlockError> WriteZeroesAsync(long offset, long length, BlockRequestFlags flags)
    {
        if (length == 0)
        {
            return Done(BlockError.None);
        }

        var mode = (flags & BlockRequestFlags.MayUnmap) != 0 && _discardUnmap
            ? LinuxFile.FallocPunchHole | LinuxFile.FallocKeepSize
            : LinuxFile.FallocZeroRange | LinuxFile.FallocKeepSize;
        var error = Fallocate(mode, offset, length);
        if (error == BlockError.Unsupported)
        {
            // The filesystem cannot zero a range: zero buffers are written, unless the caller wants only the fast way.
            return base.WriteZeroesAsync(offset, length, flags);
        }

        if (error == BlockError.None && (flags & BlockRequestFlags.Fua) != 0)
        {
            error = Sync();
        }

        return Done(error);
    }

    public override ValueTask<BlockError> TruncateAsync(long length)
    {
        try
        {
            RandomAccess.SetLength(_handle, length);
            Volatile.Write(ref _length, length);
            return Done(BlockError.None);
        }
        catch (IOException e)
        {
            return Done(MapErrno(e.HResult));
        }
    }

    public override void Close() => _handle.Dispose();

    private static BlockOperationException OpenError(string filename, int errno) =>
        new($"Could not open '{filename}': {LinuxFile.Describe(errno)}");

    private static bool IsAligned(long offset, ReadOnlyMemory<byte> buffer) =>
        (offset & (DirectAlignment - 1)) == 0
        && (buffer.Length & (DirectAlignment - 1)) == 0
        && AlignedBuffer.IsAligned(buffer, DirectAlignment);

    private static BlockError MapErrno(int errno) => errno switch
    {
        LinuxFile.ErrNoSpace => BlockError.NoSpace,
        LinuxFile.ErrReadOnlyFs => BlockError.ReadOnly,
        LinuxFile.ErrNotSupported => BlockError.Unsupported,
        LinuxFile.ErrInvalid => BlockError.InvalidArgument,
        _ => BlockError.Io,
    };

    private void Lock(string filename, bool readOnly)
    {
        var operation = (readOnly ? LinuxFile.LockShared : LinuxFile.LockExclusive) | LinuxFile.LockNonBlocking;
        if (LinuxFile.Flock(_fd, operation) == 0)
        {
            return;
        }

        var errno = LinuxFile.LastError;
        if (errno == LinuxFile.ErrWouldBlock)
        {
            throw new BlockOperationException(readOnly
                ? $"Failed to get shared \"write\" lock: Is another process using the image [{filename}]?"
                : $"Failed to get \"write\" lock: Is another process using the image [{filename}]?");
        }

        if (errno != LinuxFile.ErrNotSupported)
        {
            throw new BlockOperationException($"Failed to lock '{filename}': {LinuxFile.Describe(errno)}");
        }
    }

    private BlockError ReadFully(long offset, Span<byte> destination)
    {
        try
        {
            while (destination.Length > 0)
            {
                var n = RandomAccess.Read(_handle, destination, offset);
                if (n == 0)
                {
                    // Past the end of the file: the medium reads as zeroes.
                    destination.Clear();
                    break;
                }

                destination = destination[n..];
                offset += n;
            }

            return BlockError.None;
        }
        catch (IOException e)
        {
            return MapErrno(e.HResult);
        }
    }

    private BlockError WriteFully(long offset, ReadOnlySpan<byte> source)
    {
        try
        {
            RandomAccess.Write(_handle, source, offset);
            GrewTo(offset + source.Length);
            return BlockError.None;
        }
        catch (IOException e)
        {
            return MapErrno(e.HResult);
        }
        catch (UnauthorizedAccessException)
        {
            return BlockError.ReadOnly;
        }
    }

    /// <summary>Keeps the cached length in step with writes that extend the file (a format driver appending clusters).</summary>
    private void GrewTo(long end)
    {
        var current = Volatile.Read(ref _length);
        while (end > current)
        {
            var seen = Interlocked.CompareExchange(ref _length, end, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private BlockError Sync() => _noFlush || LinuxFile.FdataSync(_fd) == 0 ? BlockError.None : MapErrno(LinuxFile.LastError);

    private BlockError Fallocate(int mode, long offset, long length) =>
        LinuxFile.Fallocate(_fd, mode, offset, length) == 0 ? BlockError.None : MapErrno(LinuxFile.LastError);

    private BlockError BounceRead(long offset, Span<byte> destination)
    {
        var bounce = AlignedBufferPool.Shared.Rent(BounceChunk + DirectAlignment);
        try
        {
            while (destination.Length > 0)
            {
                var (start, skip, take, span) = BounceWindow(offset, destination.Length);
                var error = ReadFully(start, bounce.Span[..span]);
                if (error != BlockError.None)
                {
                    return error;
                }

                bounce.Span.Slice(skip, take).CopyTo(destination);
                destination = destination[take..];
                offset += take;
            }

            return BlockError.None;
        }
        finally
        {
            AlignedBufferPool.Shared.Return(bounce);
        }
    }

    private BlockError BounceWrite(long offset, ReadOnlySpan<byte> source)
    {
        var bounce = AlignedBufferPool.Shared.Rent(BounceChunk + DirectAlignment);
        try
        {
            // Read-modify-write of partial blocks: serialised so two sub-block writes to one block cannot lose each other.
            lock (_bounceLock)
            {
                _lengthBeforeBounce = Length;
                var end = offset + source.Length;
                while (source.Length > 0)
                {
                    var (start, skip, take, span) = BounceWindow(offset, source.Length);
                    var error = ReadFully(start, bounce.Span[..span]);
                    if (error == BlockError.None)
                    {
                        source[..take].CopyTo(bounce.Span[skip..]);
                        error = WriteFully(start, bounce.Span[..span]);
                    }

                    if (error != BlockError.None)
                    {
                        return error;
                    }

                    source = source[take..];
                    offset += take;
                }

                // Whole-block writes past an unaligned end of file must not grow it beyond what was written.
                var intended = Math.Max(end, _lengthBeforeBounce);
                if (RandomAccess.GetLength(_handle) > intended)
                {
                    RandomAccess.SetLength(_handle, intended);
                }

                Volatile.Write(ref _length, intended);

                return BlockError.None;
            }
        }
        finally
        {
            AlignedBufferPool.Shared.Return(bounce);
        }
    }

    /// <summary>
    /// The aligned host range that carries the next bounced chunk at <paramref name="offset"/>: where it
    /// starts, how far into it the guest bytes begin, how many of the <paramref name="remaining"/> bytes it
    /// carries (at most <see cref="BounceChunk"/>), and its aligned length.
    /// </summary>
    private static (long Start, int Skip, int Take, int Span) BounceWindow(long offset, int remaining)
    {
        var start = offset & ~(long)(DirectAlignment - 1);
        var skip = (int)(offset - start);
        var take = Math.Min(remaining, BounceChunk);
        return (start, skip, take, AlignUp(skip + take));
    }

    private static int AlignUp(int value) => (value + DirectAlignment - 1) & ~(DirectAlignment - 1);
}
