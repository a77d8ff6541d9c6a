namespace Emulator.Block.Drivers.Qcow2;

/// <summary>What <c>check -r</c> may fix.</summary>
internal enum Qcow2RepairMode : byte
{
    None,

    /// <summary>Refcounts higher than the references (leaked clusters) are lowered.</summary>
    Leaks,

    /// <summary>Leaks, and refcounts lower than the references are raised.</summary>
    All,
}
