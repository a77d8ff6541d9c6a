namespace Emulator.Block.Drivers.Qcow2;

/// <summary>qcow2 header bytes 88–95 (version 3): features a writer that does not know them must clear.</summary>
[Flags]
internal enum Qcow2AutoclearFeatures : ulong
{
    None = 0,

    /// <summary>Bit 0: the bitmaps extension is consistent with the image.</summary>
    Bitmaps = 1UL << 0,

    /// <summary>Bit 1: the external data file is a raw image.</summary>
    RawExternalData = 1UL << 1,
}
