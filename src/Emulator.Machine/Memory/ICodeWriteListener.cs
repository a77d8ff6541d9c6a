namespace Emulator.Machine.Memory;

/// <summary>
/// Told when guest memory inside a page that holds decoded code is written (by the CPU or by DMA),
/// so the CPU can drop stale decoded instructions. Only pages marked with
/// <see cref="GuestMemory.MarkCodePage"/> are reported.
/// </summary>
internal interface ICodeWriteListener
{
    /// <summary>Bytes <paramref name="address"/>..+<paramref name="length"/> (physical, inside one page) were written.</summary>
    void OnCodeWrite(uint address, int length);
}
