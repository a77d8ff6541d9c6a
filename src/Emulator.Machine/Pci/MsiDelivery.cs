using System.Buffers.Binary;
using Emulator.Machine.Memory;

namespace Emulator.Machine.Pci;

/// <summary>
/// Where MSI and MSI-X messages go (PCI Local Bus Specification 3.0, section 6.8): a message is a
/// dword memory write by the function, as on real hardware. A write into the local APIC's
/// interrupt window 0xFEE00000-0xFEEFFFFF (Intel SDM vol. 3, 11.11.1) is an interrupt: the machine
/// has no local APIC yet, so such a message is counted, kept as <see cref="LastInterrupt"/> and
/// raised as <see cref="InterruptRequested"/> for whoever models the CPU side. Any other address is
/// an ordinary DMA write into guest RAM (a message aimed at RAM lands there, which is how a guest
/// can observe it without an APIC); a write outside RAM is dropped, like a master abort.
/// Limitations: no CPU receives the interrupt until a local APIC exists.
/// </summary>
public sealed class MsiDelivery
{
    /// <summary>Base of the local APIC interrupt window that MSI writes are aimed at.</summary>
    public const ulong InterruptWindowBase = 0xFEE0_0000;
    /// <summary>Size of the interrupt window (1 MiB).</summary>
    public const ulong InterruptWindowSize = 0x10_0000;

    private readonly IDmaMemory _memory;

    /// <summary>An MSI sink that writes messages outside the interrupt window into <paramref name="memory"/>.</summary>
    public MsiDelivery(IDmaMemory memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        _memory = memory;
    }

    /// <summary>Raised on the machine thread for each message aimed at the interrupt window.</summary>
    public event Action<MsiMessage>? InterruptRequested;

    /// <summary>Messages aimed at the interrupt window so far.</summary>
    public long InterruptCount { get; private set; }

    /// <summary>The last message aimed at the interrupt window, null before the first.</summary>
    public MsiMessage? LastInterrupt { get; private set; }

    /// <summary>Performs the message write of <paramref name="data"/> to <paramref name="address"/>.</summary>
    public void Deliver(ulong address, uint data)
    {
        if (address - InterruptWindowBase < InterruptWindowSize)
        {
            var message = new MsiMessage(address, data);
            InterruptCount++;
            LastInterrupt = message;
            InterruptRequested?.Invoke(message);
            return;
        }

        Span<byte> bytes = stackalloc byte[sizeof(uint)];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, data);
        _memory.TryWrite(address, bytes);
    }
}
