using Emulator.Machine.Interrupts;
using Emulator.Machine.Memory;

namespace Emulator.Machine.Loop;

/// <summary>Maps the I/O APIC's register window into guest physical memory.</summary>
internal sealed class IoApicMmio(IoApic ioApic) : IMmioDevice
{
    public uint Read(uint address, AccessWidth width) => ioApic.ReadMmio(address - IoApic.DefaultBaseAddress);

    public void Write(uint address, AccessWidth width, uint value) => ioApic.WriteMmio(address - IoApic.DefaultBaseAddress, value);
}
