namespace Emulator.Machine.Pci;

/// <summary>One message-signalled interrupt as a function sent it: a dword <see cref="Data"/> written to <see cref="Address"/>.</summary>
public readonly record struct MsiMessage(ulong Address, uint Data)
{
    private const uint VectorMask = 0xFF;

    /// <summary>The interrupt vector an x86 MSI data word carries in bits 7-0 (Intel SDM vol. 3, 11.11.2).</summary>
    public byte Vector => (byte)(Data & VectorMask);
}
