namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// Compiled block code by content: the guest bytes of a formed block and the CS/SS sizes it was formed
/// for. A block's code depends on nothing else — it is relative to the entry EIP, reads CPL, paging,
/// segment bases and limits at run time, and formation (decode, live flags) is a function of those bytes
/// and sizes — so when a block's page is dropped (a data write beside code, a remap, DMA) or its table
/// slot is taken, the same bytes found again, at that address or another, reuse the compiled delegate
/// (or wait for the one being compiled) instead of paying the expression-tree compiler and the JIT again. Bounded: at <see cref="MaxEntries"/>
/// the cache is emptied (as QEMU flushes its code buffer when full); dropped delegates are collectible.
/// </summary>
internal sealed class CompiledCodeCache
{
    /// <summary>Most delegates kept for reuse.</summary>
    public const int MaxEntries = 1 << 15;

    private readonly Dictionary<Shape, CompiledCode> _code = [];

    /// <summary>Blocks whose code was found here instead of being compiled.</summary>
    public long Reused { get; private set; }

    public int Count => _code.Count;

    /// <summary>
    /// The code compiled earlier (or queued) for these bytes and sizes, if any, claimed for a new block
    /// (<see cref="CompiledCode.TryClaim"/>); code the block compiler abandoned does not count.
    /// </summary>
    public bool TryGet(ReadOnlySpan<byte> bytes, uint mode, out CompiledCode code, out Shape shape)
    {
        shape = new Shape(bytes.ToArray(), mode);
        if (_code.TryGetValue(shape, out code!) && code.TryClaim())
        {
            Reused++;
            return true;
        }

        return false;
    }

    public void Add(Shape shape, CompiledCode code)
    {
        if (_code.Count >= MaxEntries)
        {
            _code.Clear();
        }

        _code[shape] = code;
    }

    public void Clear() => _code.Clear();

    /// <summary>A block's identity by content: its bytes and CS/SS sizes.</summary>
    internal sealed class Shape : IEquatable<Shape>
    {
        private readonly byte[] _bytes;
        private readonly uint _mode;
        private readonly int _hash;

        public Shape(byte[] bytes, uint mode)
        {
            _bytes = bytes;
            _mode = mode;
            var hash = new HashCode();
            hash.Add(mode);
            hash.AddBytes(bytes);
            _hash = hash.ToHashCode();
        }

        public bool Equals(Shape? other) =>
            other is not null && other._hash == _hash && other._mode == _mode && other._bytes.AsSpan().SequenceEqual(_bytes);

        public override bool Equals(object? obj) => Equals(obj as Shape);

        public override int GetHashCode() => _hash;
    }
}
