namespace Emulator.Machine.Memory;

/// <summary>
/// Told by <see cref="GuestMemory"/> when something a CPU may have cached about physical pages stops holding:
/// a page remapped (RAM, ROM, MMIO, shadow access), a RAM page now holding decoded code (its writes must be
/// seen), the A20 gate moved.
/// </summary>
internal interface IPageMapListener
{
    /// <summary>Page <paramref name="page"/> (a physical page number) is about to change what it maps.</summary>
    void OnPageRemapped(uint page);

    /// <summary>RAM page <paramref name="page"/> now holds decoded code: writes to it leave the fast path.</summary>
    void OnCodePageMarked(uint page);

    /// <summary>The A20 gate moved: every physical address computed before may be wrong.</summary>
    void OnAddressMaskChanged();
}
