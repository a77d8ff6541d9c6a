using Emulator.Firmware.Hardware;

namespace Emulator.Firmware.Services;

/// <summary>INT 11h (equipment word) and INT 12h (base memory in KiB), both from the BDA.</summary>
internal sealed class EquipmentService(FirmwareContext context)
{
    public BiosServiceResult Equipment(BiosCall call)
    {
        call.AX = context.Memory.ReadWord(Bda.Equipment);
        return BiosServiceResult.Done;
    }

    public BiosServiceResult MemorySize(BiosCall call)
    {
        call.AX = context.Memory.ReadWord(Bda.BaseMemoryKb);
        return BiosServiceResult.Done;
    }
}
