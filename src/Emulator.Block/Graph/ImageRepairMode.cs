namespace Emulator.Block.Graph;

/// <summary>What <c>check -r</c> may fix.</summary>
public enum ImageRepairMode : byte
{
    /// <summary>Only check.</summary>
    None,

    /// <summary>Leaked allocations (counted but unreferenced) are released.</summary>
    Leaks,

    /// <summary>Leaks, and every other inconsistency the format can repair.</summary>
    All,
}
