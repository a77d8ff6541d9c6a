namespace Emulator.Devices.Ide;

/// <summary>How the packet prologue treats a command (QEMU's ALLOW_UA / CHECK_READY / NONDATA).</summary>
[Flags]
internal enum AtapiCommandFlags : byte
{
    None = 0,

    /// <summary>Runs even while a unit attention is pending (and does not consume the media-change sequence).</summary>
    AllowUnitAttention = 1,

    /// <summary>Fails with NOT READY / MEDIUM NOT PRESENT without a medium or with the tray open.</summary>
    CheckReady = 2,

    /// <summary>Moves no data (or checks the byte count limit itself), so a zero limit is not refused up front.</summary>
    NonData = 4,
}
