using System.Numerics;

namespace Emulator.Block.Memory;

/// <summary>
/// A pool of page-aligned I/O buffers in power-of-two size classes (4 KiB … 16 MiB). Devices rent
/// their transfer buffers once when they are created (or per request from the pool) so the guest
/// I/O path allocates nothing in steady state. Thread-safe.
/// </summary>
public sealed class AlignedBufferPool : IDisposable
{
    private const int MinShift = 12;
    private const int MaxShift = 24;

    private readonly Stack<AlignedBuffer>[] _free = new Stack<AlignedBuffer>[MaxShift - MinShift + 1];
    private readonly Lock _lock = new();

    /// <summary>An empty pool (buffers are allocated on first rent).</summary>
    public AlignedBufferPool()
    {
        for (var i = 0; i < _free.Length; i++)
        {
            _free[i] = new Stack<AlignedBuffer>();
        }
    }

    /// <summary>The pool every component shares unless it was given its own.</summary>
    public static AlignedBufferPool Shared { get; } = new();

    /// <summary>Rents a buffer of at least <paramref name="minimumLength"/> bytes; its contents are not cleared.</summary>
    public AlignedBuffer Rent(int minimumLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minimumLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minimumLength, 1 << MaxShift);
        var shift = Math.Max(MinShift, (int)BitOperations.Log2(BitOperations.RoundUpToPowerOf2((uint)minimumLength)));
        lock (_lock)
        {
            if (_free[shift - MinShift].TryPop(out var buffer))
            {
                return buffer;
            }
        }

        return new AlignedBuffer(1 << shift);
    }

    /// <summary>Gives a rented buffer back for reuse; the caller must not touch it afterwards. Thread-safe.</summary>
    /// <exception cref="ArgumentException">The buffer's size is not one of the pool's classes.</exception>
    public void Return(AlignedBuffer buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (!BitOperations.IsPow2(buffer.Length) || buffer.Length < (1 << MinShift) || buffer.Length > (1 << MaxShift))
        {
            throw new ArgumentException("The buffer did not come from this pool.", nameof(buffer));
        }

        lock (_lock)
        {
            _free[BitOperations.Log2((uint)buffer.Length) - MinShift].Push(buffer);
        }
    }

    /// <summary>Frees the buffers the pool holds (rented ones stay with their renters).</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var stack in _free)
            {
                while (stack.TryPop(out var buffer))
                {
                    ((IDisposable)buffer).Dispose();
                }
            }
        }
    }
}
