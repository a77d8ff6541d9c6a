namespace Emulator.Testing.Qos;

/// <summary>One buffer of a descriptor chain: guest address, length, and whether the device writes it (VIRTQ_DESC_F_WRITE).</summary>
/// <param name="Address">Guest physical address of the buffer.</param>
/// <param name="Length">Bytes in the buffer.</param>
/// <param name="DeviceWrites">True for a device-writable buffer (data in, a status byte), false for one the device reads.</param>
public readonly record struct VirtqBuffer(ulong Address, uint Length, bool DeviceWrites);
