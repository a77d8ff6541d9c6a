namespace Emulator.Devices.Virtio;

/// <summary>ISR status bits (virtio 1.2, section 4.1.4.5); reading the register clears them.</summary>
[Flags]
internal enum VirtioIsr : byte
{
    None = 0,
    Queue = 1,
    Config = 2,
}
