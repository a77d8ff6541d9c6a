using Emulator.Machine.Memory;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu.Translation;

/// <summary>
/// The translated-code TLB (<c>AccessTlb</c>) caches, per linear page, where a block may read and write RAM
/// straight. Each test lets a compiled loop fill an entry, then changes what the entry stood for the way a
/// guest or board would — the A20 gate, a device mapped over the page, the page coming to hold code — and
/// checks that the next pass sees the change as the interpreter does.
/// </summary>
public class AccessTlbTests
{
    private const ushort Passes = 8;
    private const ushort HighMemorySegment = 0xFFFF;
    private const ushort HighMemoryOffset = 0x10;
    private const uint WrappedAddress = 0;
    private const uint HighAddress = 0x10_0000;
    private const uint DeviceOffset = 0x8000;
    private const uint DevicePhysical = (CpuTestMachine.DataSegment << 4) + DeviceOffset;
    private const ushort DeviceValue = 0x1234;
    private const ushort PatchedCode = 0x2000;

    [Test]
    public void A20GateClosedAfterALoopRanAboveOneMegabyte_NextPassReadsTheWrappedAddress()
    {
        var pair = new TierPair();
        pair.Load(new Random(21), SumWordsAt(HighMemorySegment, HighMemoryOffset));
        Write(pair, HighAddress, 0x0101);
        Write(pair, WrappedAddress, 0x0202);

        Assert.That(pair.RunAndCompare(), Is.Null);
        var first = pair.Candidate.Registers.DX;
        Restart(pair, machine => machine.Memory.A20Enabled = false);
        Assert.That(pair.RunAndCompare(), Is.Null);

        Assert.That((ushort)(pair.Candidate.Registers.DX - first), Is.EqualTo(unchecked((ushort)(Passes * 0x0202))), "a pass read through the stale A20 mapping");
    }

    [Test]
    public void DeviceMappedOverARamPageALoopRead_NextPassReachesTheDevice()
    {
        var pair = new TierPair();
        pair.Load(new Random(22), SumWordsAt(CpuTestMachine.DataSegment, (ushort)DeviceOffset));

        Assert.That(pair.RunAndCompare(), Is.Null);
        var first = pair.Candidate.Registers.DX;
        Restart(pair, machine => machine.Memory.RegisterMmio(DevicePhysical, GuestMemory.PageSize, new ConstantDevice()));
        Assert.That(pair.RunAndCompare(), Is.Null);

        Assert.That((ushort)(pair.Candidate.Registers.DX - first), Is.EqualTo(unchecked((ushort)(Passes * DeviceValue))), "a pass read RAM the device now hides");
    }

    [Test]
    public void RamPageWrittenBeforeItHeldCode_LaterWritesStillReachTheDecodedCode()
    {
        // The first store to the immediate of 'mov al, imm8' happens before that page was ever decoded (the store
        // may be cached as a plain RAM write); the call then decodes it. Every later store must still be seen.
        var pair = new TierPair();
        pair.Load(new Random(23), a =>
        {
            var top = a.CreateLabel();
            a.mov(cx, Passes);
            a.xor(dx, dx);
            a.Label(ref top);
            a.AddInstruction(Instruction.Create(Code.Mov_rm8_r8, new MemoryOperand(Register.None, Register.None, 1, PatchedCode + 1, 2, false, Register.CS), Register.CL));
            a.call(PatchedCode);
            a.add(dl, al);
            a.dec(cx);
            a.jnz(top);
        });
        foreach (var machine in pair.Machines)
        {
            machine.Memory.Write(CpuTestMachine.Physical(CpuTestMachine.CodeSegment, PatchedCode), CpuTestMachine.Assemble(16, PatchedCode, a =>
            {
                a.mov(al, 0);
                a.ret();
            }));
        }

        Assert.That(pair.RunAndCompare(), Is.Null);
        Assert.That(pair.Candidate.Registers.DL, Is.EqualTo(Passes * (Passes + 1) / 2), "a pass ran a stale immediate");
    }

    /// <summary>DX += the word at segment:offset, <see cref="Passes"/> times (DS set to the segment).</summary>
    private static Action<Assembler> SumWordsAt(ushort segment, ushort offset) => a =>
    {
        var top = a.CreateLabel();
        a.mov(ax, segment);
        a.mov(ds, ax);
        a.mov(cx, Passes);
        a.Label(ref top);
        a.add(dx, __word_ptr[offset]);
        a.dec(cx);
        a.jnz(top);
    };

    private static void Write(TierPair pair, uint address, ushort value)
    {
        foreach (var machine in pair.Machines)
        {
            machine.WriteWord(address, value);
        }
    }

    /// <summary>Applies <paramref name="change"/> to both halted machines and points them at the start of the code again.</summary>
    private static void Restart(TierPair pair, Action<CpuTestMachine> change)
    {
        foreach (var machine in pair.Machines)
        {
            change(machine);
            machine.Registers.EIP = 0;
            machine.Cpu.Halted = false;
        }
    }

    /// <summary>A page whose every aligned word reads <see cref="DeviceValue"/>, however the access is split.</summary>
    private sealed class ConstantDevice : IMmioDevice
    {
        public uint Read(uint address, AccessWidth width)
        {
            var value = 0u;
            for (var i = 0; i < (int)width; i++)
            {
                value |= (uint)(((address + i) & 1) == 0 ? DeviceValue & 0xFF : DeviceValue >> 8) << (8 * i);
            }

            return value;
        }

        public void Write(uint address, AccessWidth width, uint value)
        {
        }
    }
}
