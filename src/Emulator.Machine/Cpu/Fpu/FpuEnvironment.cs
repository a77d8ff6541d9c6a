using System.Buffers.Binary;
using Iced.Intel;

namespace Emulator.Machine.Cpu.Fpu;

/// <summary>
/// FNSTENV/FLDENV and FNSAVE/FRSTOR in the four layouts of Intel SDM vol. 1, 8.1.10 (figures 8-9 to
/// 8-12): 14 bytes (16-bit operand size) or 28 bytes (32-bit), each in a protected-mode form (offsets
/// and selectors) and a real-mode form (20- or 32-bit linear pointers split around the opcode). The
/// save image adds the eight registers in stack order, ST(0) first. Reserved bits are stored as zero,
/// as QEMU stores them. A store is proved writable as a whole before its first byte, a load is read
/// as a whole before anything changes.
/// </summary>
internal sealed class FpuEnvironment(FpuExecution fpu)
{
    private const int Environment16 = 14;
    private const int Environment32 = 28;
    private const int RegisterBytes = 10;
    private const int SaveImageMax = Environment32 + (X87State.RegisterCount * RegisterBytes);
    private const int RealModeHighShift = 12;
    private const ushort OpcodeMask = 0x07FF;
    private const uint LowWord = 0xFFFF;

    private X87State State => fpu.State;

    /// <summary>FNSTENV (then every exception masked) or FNSAVE (then FNINIT).</summary>
    public bool Store(ref DecodedInstruction d, bool withRegisters)
    {
        var environmentLength = EnvironmentLength(ref d);
        var length = environmentLength + (withRegisters ? X87State.RegisterCount * RegisterBytes : 0);
        Span<byte> image = stackalloc byte[SaveImageMax];
        image = image[..length];
        image.Clear();
        WriteEnvironment(image, environmentLength == Environment32);
        if (withRegisters)
        {
            for (var i = 0; i < X87State.RegisterCount; i++)
            {
                FpuMemory.WriteFloat80(image[(environmentLength + (i * RegisterBytes))..], State.Get(i));
            }
        }

        if (!fpu.Memory.TryWrite(ref d, image))
        {
            return false;
        }

        if (withRegisters)
        {
            State.Initialize();
        }
        else
        {
            State.Control |= FpuControl.ExceptionMasks;
        }

        return true;
    }

    /// <summary>FLDENV or FRSTOR.</summary>
    public bool Load(ref DecodedInstruction d, bool withRegisters)
    {
        var environmentLength = EnvironmentLength(ref d);
        var length = environmentLength + (withRegisters ? X87State.RegisterCount * RegisterBytes : 0);
        Span<byte> image = stackalloc byte[SaveImageMax];
        image = image[..length];
        if (!fpu.Memory.TryRead(ref d, 0, image))
        {
            return false;
        }

        ReadEnvironment(image, environmentLength == Environment32);
        if (withRegisters)
        {
            for (var i = 0; i < X87State.RegisterCount; i++)
            {
                State.SetPhysical(State.Physical(i), FpuMemory.ReadFloat80(image[(environmentLength + (i * RegisterBytes))..]));
            }
        }

        State.UpdateErrorSummary();
        return true;
    }

    private static int EnvironmentLength(ref DecodedInstruction d) =>
        d.Instr.MemorySize is MemorySize.FpuEnv28 or MemorySize.FpuState108 ? Environment32 : Environment16;

    private void WriteEnvironment(Span<byte> image, bool wide)
    {
        var protectedMode = fpu.Core.R.ProtectedMode;
        var words = new EnvironmentWords(image, wide);
        words.Put(0, State.Control);
        words.Put(1, State.StatusWord);
        words.Put(2, State.TagWord());
        var ip = State.InstructionOffset;
        var dp = State.OperandOffset;
        if (protectedMode)
        {
            words.Put(3, ip);
            words.Put(4, wide ? State.InstructionSelector | ((uint)(State.Opcode & OpcodeMask) << 16) : State.InstructionSelector);
            words.Put(5, dp);
            words.Put(6, State.OperandSelector);
        }
        else
        {
            words.Put(3, ip & LowWord);
            words.Put(4, ((ip >> 16) << RealModeHighShift) | (uint)(State.Opcode & OpcodeMask));
            words.Put(5, dp & LowWord);
            words.Put(6, (dp >> 16) << RealModeHighShift);
        }
    }

    private void ReadEnvironment(Span<byte> image, bool wide)
    {
        var protectedMode = fpu.Core.R.ProtectedMode;
        var words = new EnvironmentWords(image, wide);
        State.Control = (ushort)((words.Get(0) & FpuControl.Writable) | FpuControl.Reserved6);
        var status = (ushort)words.Get(1);
        State.Top = (status & FpuStatus.TopMask) >> FpuStatus.TopShift;
        State.Status = (ushort)(status & ~FpuStatus.TopMask);
        State.LoadTagWord((ushort)words.Get(2));
        if (protectedMode)
        {
            State.InstructionOffset = words.Get(3);
            var selectorAndOpcode = words.Get(4);
            State.InstructionSelector = (ushort)selectorAndOpcode;
            State.Opcode = wide ? (ushort)((selectorAndOpcode >> 16) & OpcodeMask) : (ushort)0;
            State.OperandOffset = words.Get(5);
            State.OperandSelector = (ushort)words.Get(6);
        }
        else
        {
            var high = words.Get(4);
            State.InstructionOffset = (words.Get(3) & LowWord) | ((high >> RealModeHighShift) << 16);
            State.Opcode = (ushort)(high & OpcodeMask);
            State.OperandOffset = (words.Get(5) & LowWord) | ((words.Get(6) >> RealModeHighShift) << 16);
            State.InstructionSelector = 0;
            State.OperandSelector = 0;
        }
    }

    /// <summary>The seven fields of an environment: words at 2-byte steps (14-byte form) or dwords at 4-byte steps (28-byte form).</summary>
    private readonly ref struct EnvironmentWords(Span<byte> image, bool wide)
    {
        private readonly Span<byte> _image = image;
        private readonly bool _wide = wide;

        public void Put(int field, uint value)
        {
            if (_wide)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(_image[(field * 4)..], value);
            }
            else
            {
                BinaryPrimitives.WriteUInt16LittleEndian(_image[(field * 2)..], (ushort)value);
            }
        }

        public uint Get(int field) => _wide
            ? BinaryPrimitives.ReadUInt32LittleEndian(_image[(field * 4)..])
            : BinaryPrimitives.ReadUInt16LittleEndian(_image[(field * 2)..]);
    }
}
