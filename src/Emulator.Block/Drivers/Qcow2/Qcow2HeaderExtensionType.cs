namespace Emulator.Block.Drivers.Qcow2;

/// <summary>Header extension type codes (qcow2.txt, "Header extensions").</summary>
internal enum Qcow2HeaderExtensionType : uint
{
    End = 0,
    BackingFormat = 0xE2792ACA,
    FeatureNameTable = 0x6803F857,
    Bitmaps = 0x23852875,
    FullDiskEncryption = 0x0537BE77,
    ExternalDataFile = 0x44415441,
}
