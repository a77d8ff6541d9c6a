namespace Emulator.Devices.Floppy;

/// <summary>Data rate codes of DSR/CCR bits 1:0 (82078 datasheet, "Data Rate Select"), as programmed and as a medium needs them.</summary>
internal enum FloppyDataRate : byte
{
    Rate500K = 0,
    Rate300K = 1,
    Rate250K = 2,
    Rate1M = 3,
}
