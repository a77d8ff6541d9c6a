namespace Emulator.Machine.Memory;

/// <summary>
/// The A20 address line gate. When disabled, physical address bit 20 is forced to zero so real-mode
/// addresses wrap at 1 MiB as on an 8086. Driven by port 0x92 (fast A20) and the 8042 output port.
/// </summary>
public interface IA20Gate
{
    /// <summary>Whether address bit 20 passes through (true) or is forced to zero (false, the 8086 wrap at 1 MiB).</summary>
    bool A20Enabled { get; set; }
}
