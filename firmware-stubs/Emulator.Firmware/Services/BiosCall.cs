using Emulator.Machine.Cpu;
using Emulator.Machine.Memory;

namespace Emulator.Firmware.Services;

/// <summary>
/// One firmware call as a service sees it. The stub pushed AX and DX on the caller's stack above the
/// interrupt frame (IP, CS, FLAGS), so AX, DX and FLAGS are read and written there and come back to
/// the caller when the stub pops and IRETs; every other register is live in the CPU.
/// </summary>
internal sealed class BiosCall
{
    private const int DxSlot = 0;
    private const int AxSlot = 2;
    private const int IpSlot = 4;
    private const int CsSlot = 6;
    private const int FlagsSlot = 8;
    private const ushort CarryBit = 0x0001;
    private const ushort ZeroBit = 0x0040;
    private const ushort InterruptBit = 0x0200;
    private const uint HighHalf = 0xFFFF0000;

    private readonly GuestMemory _memory;

    internal BiosCall(CpuRegisters registers, GuestMemory memory)
    {
        Registers = registers;
        _memory = memory;
    }

    public CpuRegisters Registers { get; }

    public ushort AX { get => Stack(AxSlot); set => SetStack(AxSlot, value); }

    public byte AH { get => (byte)(AX >> 8); set => AX = (ushort)((value << 8) | AL); }

    public byte AL { get => (byte)AX; set => AX = (ushort)((AX & 0xFF00) | value); }

    public ushort DX { get => Stack(DxSlot); set => SetStack(DxSlot, value); }

    public byte DH { get => (byte)(DX >> 8); set => DX = (ushort)((value << 8) | DL); }

    public byte DL { get => (byte)DX; set => DX = (ushort)((DX & 0xFF00) | value); }

    /// <summary>The caller's EAX: the high half is live in the CPU, the low half was saved by the stub.</summary>
    public uint EAX
    {
        get => (Registers.EAX & HighHalf) | AX;
        set
        {
            Registers.EAX = (Registers.EAX & ~HighHalf) | (value & HighHalf);
            AX = (ushort)value;
        }
    }

    /// <summary>The caller's EDX, assembled the same way (the stub uses DX for the trap port).</summary>
    public uint EDX
    {
        get => (Registers.EDX & HighHalf) | DX;
        set
        {
            Registers.EDX = (Registers.EDX & ~HighHalf) | (value & HighHalf);
            DX = (ushort)value;
        }
    }

    public ushort BX { get => Registers.BX; set => Registers.BX = value; }

    public byte BH { get => Registers.BH; set => Registers.BH = value; }

    public byte BL { get => Registers.BL; set => Registers.BL = value; }

    public ushort CX { get => Registers.CX; set => Registers.CX = value; }

    public byte CH { get => Registers.CH; set => Registers.CH = value; }

    public byte CL { get => Registers.CL; set => Registers.CL = value; }

    public bool Carry { get => (Stack(FlagsSlot) & CarryBit) != 0; set => SetFlag(CarryBit, value); }

    public bool Zero { get => (Stack(FlagsSlot) & ZeroBit) != 0; set => SetFlag(ZeroBit, value); }

    /// <summary>Whether the caller had interrupts enabled.</summary>
    public bool CallerInterruptsEnabled => (Stack(FlagsSlot) & InterruptBit) != 0;

    /// <summary>Success: carry clear.</summary>
    public void Ok() => Carry = false;

    /// <summary>Success with a status in AH and carry clear (INT 15h functions return AH=00h).</summary>
    public void Ok(byte status)
    {
        AH = status;
        Carry = false;
    }

    /// <summary>Failure with a status in AH and carry set, the usual BIOS convention.</summary>
    public void Fail(byte status)
    {
        AH = status;
        Carry = true;
    }

    /// <summary>Makes the IRET go to <paramref name="segment"/>:<paramref name="offset"/> (INT 19h uses this to start the boot sector).</summary>
    public void ReturnTo(ushort segment, ushort offset)
    {
        SetStack(IpSlot, offset);
        SetStack(CsSlot, segment);
    }

    private uint StackAddress(int slot) =>
        Registers.GetSegment(SegmentRegister.SS).Base + (ushort)(Registers.SP + slot);

    private ushort Stack(int slot) => _memory.ReadWord(StackAddress(slot));

    private void SetStack(int slot, ushort value) => _memory.WriteWord(StackAddress(slot), value);

    private void SetFlag(ushort bit, bool value)
    {
        var flags = Stack(FlagsSlot);
        SetStack(FlagsSlot, (ushort)(value ? flags | bit : flags & ~bit));
    }
}
