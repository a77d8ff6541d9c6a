using Emulator.Block.Backend;

namespace Emulator.Block.Graph;

/// <summary>
/// Options to open one node, typed per driver (the C# form of a <c>blockdev-add</c> argument).
/// Each driver's folder defines its record deriving from this one.
/// </summary>
public abstract record BlockNodeOptions
{
    /// <summary>The driver name, as in <c>blockdev-add</c>'s <c>driver</c>.</summary>
    public abstract string Driver { get; }

    /// <summary>The node name; a unique one is generated when omitted.</summary>
    public string? NodeName { get; init; }

    /// <summary>Open the node read-only (<c>read-only=on</c>); inline children inherit it.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>detect-zeroes: all-zero writes reach this node's driver as write-zeroes (QEMU's per-node option).</summary>
    public DetectZeroes DetectZeroes { get; init; }
}
