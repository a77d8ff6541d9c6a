namespace Emulator.Devices.Floppy;

/// <summary>The drive types QEMU's <c>drive-type</c> property knows (FloppyDriveType in its QAPI schema).</summary>
public enum FloppyDriveType : byte
{
    /// <summary>3.5" 1.44 MB drive (also reads 720 KB media).</summary>
    Drive144,

    /// <summary>3.5" 2.88 MB drive.</summary>
    Drive288,

    /// <summary>5.25" 1.2 MB drive (also reads 360 KB media).</summary>
    Drive120,

    /// <summary>No drive.</summary>
    None,

    /// <summary>Chosen from the inserted medium's size, else the controller's fallback type.</summary>
    Auto,
}
