using Emulator.Block.Backend;

namespace Emulator.Block.Graph;

/// <summary>The drivers registered through DI, by name and by options type.</summary>
public sealed class BlockDriverRegistry
{
    private readonly Dictionary<string, IBlockDriverFactory> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<Type, IBlockDriverFactory> _byOptions = [];

    /// <summary>The registry of the drivers registered through DI.</summary>
    /// <exception cref="InvalidOperationException">Two drivers share a name.</exception>
    /// <exception cref="ArgumentException">Two drivers share an options type.</exception>
    public BlockDriverRegistry(IEnumerable<IBlockDriverFactory> factories)
    {
        foreach (var factory in factories)
        {
            if (!_byName.TryAdd(factory.Name, factory))
            {
                throw new InvalidOperationException($"Block driver '{factory.Name}' is registered twice.");
            }

            _byOptions.Add(factory.OptionsType, factory);
        }
    }

    /// <summary>Every registered driver.</summary>
    public IEnumerable<IBlockDriverFactory> Drivers => _byName.Values;

    /// <summary>The driver with this name (<c>qcow2</c>, <c>file</c> …, case-sensitive), or null.</summary>
    public IBlockDriverFactory? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The driver that opens nodes of this options type.</summary>
    /// <exception cref="BlockOperationException">No registered driver takes these options.</exception>
    public IBlockDriverFactory ForOptions(BlockNodeOptions options) =>
        _byOptions.GetValueOrDefault(options.GetType())
        ?? throw new BlockOperationException($"Unknown driver '{options.Driver}' (not registered with this block layer).");

    /// <summary>The protocol node options for a filename a protocol driver recognises (<c>nbd://…</c>); null for a plain host file.</summary>
    public BlockNodeOptions? ParseProtocolFilename(string filename, bool readOnly)
    {
        foreach (var factory in _byName.Values)
        {
            if (factory.Kind == BlockDriverKind.Protocol && factory.TryParseFilename(filename, readOnly, out var options))
            {
                return options;
            }
        }

        return null;
    }

    /// <summary>
    /// Picks the format of an image from its first bytes: the format driver with the highest score,
    /// raw as the fallback. Only used when no format was given.
    /// </summary>
    public IBlockDriverFactory ProbeFormat(ReadOnlySpan<byte> header)
    {
        IBlockDriverFactory? best = null;
        var bestScore = 0;
        foreach (var factory in _byName.Values)
        {
            if (factory.Kind != BlockDriverKind.Format)
            {
                continue;
            }

            var score = factory.Probe(header);
            if (score > bestScore)
            {
                best = factory;
                bestScore = score;
            }
        }

        return best ?? Find("raw") ?? throw new BlockOperationException("Could not determine the image format and the raw driver is not registered.");
    }
}
