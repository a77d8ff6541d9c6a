using Emulator.Block.Backend;
using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.Blkdebug;

/// <summary>
/// The <c>blkdebug</c> fault-injection filter: passes requests to its <c>image</c> child, failing the
/// ones its rules match, and suspending requests at named breakpoints until they are resumed
/// (QEMU's blkdebug inject-error and break/resume). Requests may run on I/O worker threads, so rule
/// state is locked. A suspended request completes asynchronously; nothing else allocates.
/// </summary>
internal sealed class BlkdebugDriver : BlockDriver
{
    private readonly BlockDriverState _image;
    private readonly Lock _lock = new();
    private readonly List<RuleState> _rules = [];
    private readonly List<(BlkdebugOperations Operations, string Tag)> _breakpoints = [];
    private readonly Dictionary<string, TaskCompletionSource> _suspended = new(StringComparer.Ordinal);

    internal BlkdebugDriver(BlockDriverState node, BlkdebugNodeOptions options, BlockGraph graph)
        : base(node)
    {
        var fromFile = options.ConfigFile is { Length: > 0 } path ? BlkdebugConfigFile.Read(path) : [];
        foreach (var rule in fromFile.Concat(options.Rules))
        {
            AddRule(rule);
        }

        _image = graph.AttachChild(node, options.Image, "image").Node;
    }

    public override bool IsNonBlocking => _image.IsNonBlocking;

    public override long Length => _image.Length;

    public void AddRule(BlkdebugRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (rule.Nth < 1)
        {
            throw new BlockOperationException("blkdebug: a rule's request number counts from 1");
        }

        lock (_lock)
        {
            _rules.Add(new RuleState(rule));
        }
    }

    public void ClearRules()
    {
        lock (_lock)
        {
            _rules.Clear();
        }
    }

    /// <summary>The next request matching <paramref name="operations"/> is suspended under <paramref name="tag"/>.</summary>
    public void Break(BlkdebugOperations operations, string tag)
    {
        lock (_lock)
        {
            _breakpoints.Add((operations, tag));
        }
    }

    public bool IsSuspended(string tag)
    {
        lock (_lock)
        {
            return _suspended.ContainsKey(tag);
        }
    }

    /// <summary>Lets the request suspended under <paramref name="tag"/> continue. False if none is.</summary>
    public bool Resume(string tag)
    {
        TaskCompletionSource? gate;
        lock (_lock)
        {
            if (!_suspended.Remove(tag, out gate))
            {
                return false;
            }
        }

        gate.SetResult();
        return true;
    }

    /// <summary>Waits (with a real-time limit) until a request is suspended under <paramref name="tag"/>.</summary>
    public bool WaitUntilSuspended(string tag, TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (!IsSuspended(tag))
        {
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }

            Thread.Sleep(1);
        }

        return true;
    }

    public override ValueTask<BlockError> ReadAsync(long offset, Memory<byte> buffer)
    {
        var (error, gate) = Intercept(BlkdebugOperations.Read, offset, buffer.Length);
        if (error != BlockError.None)
        {
            return Done(error);
        }

        return gate is null ? _image.ReadAsync(offset, buffer) : After(gate, (_image, offset, buffer), static s => s._image.ReadAsync(s.offset, s.buffer));
    }

    public override ValueTask<BlockError> WriteAsync(long offset, ReadOnlyMemory<byte> buffer, BlockRequestFlags flags)
    {
        var (error, gate) = Intercept(BlkdebugOperations.Write, offset, buffer.Length);
        if (error != BlockError.None)
        {
            return Done(error);
        }

        return gate is null ? _image.WriteAsync(offset, buffer, flags) : After(gate, (_image, offset, buffer, flags), static s => s._image.WriteAsync(s.offset, s.buffer, s.flags));
    }

    public override ValueTask<BlockError> FlushAsync()
    {
        var (error, gate) = Intercept(BlkdebugOperations.Flush, -1, 0);
        if (error != BlockError.None)
        {
            return Done(error);
        }

        return gate is null ? _image.FlushAsync() : After(gate, _image, static image => image.FlushAsync());
    }

    public override ValueTask<BlockError> DiscardAsync(long offset, long length)
    {
        var (error, gate) = Intercept(BlkdebugOperations.Discard, offset, length);
        if (error != BlockError.None)
        {
            return Done(error);
        }

        return gate is null ? _image.DiscardAsync(offset, length) : After(gate, (_image, offset, length), static s => s._image.DiscardAsync(s.offset, s.length));
    }

    public override ValueTask<BlockError> WriteZeroesAsync(long offset, long length, BlockRequestFlags flags)
    {
        var (error, gate) = Intercept(BlkdebugOperations.WriteZeroes, offset, length);
        if (error != BlockError.None)
        {
            return Done(error);
        }

        return gate is null ? _image.WriteZeroesAsync(offset, length, flags) : After(gate, (_image, offset, length, flags), static s => s._image.WriteZeroesAsync(s.offset, s.length, s.flags));
    }

    public override ValueTask<BlockError> TruncateAsync(long length) => _image.TruncateAsync(length);

    private (BlockError Error, Task? Gate) Intercept(BlkdebugOperations operation, long offset, long length)
    {
        lock (_lock)
        {
            foreach (var state in _rules)
            {
                if (state.Matches(operation, offset, length) && state.Fires())
                {
                    return (state.Rule.Error, null);
                }
            }

            for (var i = 0; i < _breakpoints.Count; i++)
            {
                var (operations, tag) = _breakpoints[i];
                if ((operations & operation) != 0)
                {
                    _breakpoints.RemoveAt(i);
                    var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _suspended[tag] = gate;
                    return (BlockError.None, gate.Task);
                }
            }
        }

        return (BlockError.None, null);
    }

    /// <summary>
    /// Continues a request suspended at a breakpoint once it is resumed. Static lambdas with explicit
    /// state: a capturing lambda would allocate its closure on every request, held or not.
    /// </summary>
    private static async ValueTask<BlockError> After<TState>(Task gate, TState state, Func<TState, ValueTask<BlockError>> operation)
    {
        await gate.ConfigureAwait(false);
        return await operation(state).ConfigureAwait(false);
    }

    private sealed class RuleState(BlkdebugRule rule)
    {
        private long _matched;

        public BlkdebugRule Rule { get; } = rule;

        public bool Matches(BlkdebugOperations operation, long offset, long length)
        {
            if ((Rule.Operations & operation) == 0)
            {
                return false;
            }

            if (Rule.RangeStart is null && Rule.RangeEnd is null)
            {
                return true;
            }

            // A flush has no range, so a ranged rule never matches it.
            if (offset < 0)
            {
                return false;
            }

            var start = Rule.RangeStart ?? 0;
            var end = Rule.RangeEnd ?? long.MaxValue;
            return offset < end && offset + Math.Max(length, 1) > start;
        }

        public bool Fires()
        {
            _matched++;
            return Rule.Once ? _matched == Rule.Nth : _matched >= Rule.Nth;
        }
    }
}
