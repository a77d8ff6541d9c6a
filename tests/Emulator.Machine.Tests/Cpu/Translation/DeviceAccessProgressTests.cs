using Emulator.Machine.Cpu;
using Emulator.Machine.Memory;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu.Translation;

/// <summary>
/// A device sees the instruction count of the access that reaches it (<see cref="X86Cpu.InstructionsSoFar"/>,
/// which the virtual clock runs on) the same from a translated block as from the interpreter. A block writes
/// its progress count only when an access leaves the RAM fast path, so each kind of access a block makes
/// (read, write, read-modify-write, string) touches a device here, in a loop long enough to be compiled.
/// </summary>
public class DeviceAccessProgressTests
{
    private const uint DeviceOffset = 0x8000;
    private const uint DevicePhysical = (CpuTestMachine.DataSegment << 4) + DeviceOffset;
    private const uint DeviceLength = 0x1000;
    private const ushort Passes = 6;
    private const int AccessesPerPass = 6;

    [Test]
    public void DeviceAccessesFromATranslatedLoop_SeeTheInterpretersInstructionCounts()
    {
        var pair = new TierPair();
        pair.Load(new Random(11), a =>
        {
            var top = a.CreateLabel();
            a.mov(cx, Passes);
            a.mov(si, (ushort)(DeviceOffset + 0x100));
            a.mov(di, (ushort)(DeviceOffset + 0x200));
            a.push(ds);
            a.pop(es);
            a.Label(ref top);
            a.inc(si);
            a.mov(__word_ptr[DeviceOffset], ax);
            a.add(ax, 3);
            a.mov(bx, __word_ptr[DeviceOffset + 2]);
            a.add(__word_ptr[DeviceOffset + 4], bx);
            a.xor(dx, bx);
            a.lodsb();
            a.stosw();
            a.push(ax);
            a.pop(ax);
            a.dec(cx);
            a.jnz(top);
        });
        var reference = Attach(pair.Reference);
        var candidate = Attach(pair.Candidate);

        Assert.That(pair.RunAndCompare(), Is.Null);
        Assert.That(reference.Accesses, Has.Count.EqualTo(Passes * AccessesPerPass), "the loop did not reach the device");
        Assert.That(candidate.Accesses, Is.EqualTo(reference.Accesses));
        Assert.That(pair.Candidate.Cpu.TranslatedInstructions, Is.GreaterThan(0), "no block ran");
    }

    [Test]
    public void DeviceAsksForAStopFromATranslatedLoop_BlockLeavesAfterThatInstruction()
    {
        // The third pass's write makes the device ask for a stop: the interpreter stops right after that
        // instruction, and so must the block (the rest of the pass and further passes are not run).
        var pair = new TierPair();
        pair.Load(new Random(12), a =>
        {
            var top = a.CreateLabel();
            a.mov(cx, Passes);
            a.Label(ref top);
            a.add(ax, 5);
            a.mov(__word_ptr[DeviceOffset], ax);
            a.xor(dx, ax);
            a.inc(bx);
            a.dec(cx);
            a.jnz(top);
            a.hlt();
        });
        foreach (var machine in pair.Machines)
        {
            machine.Memory.RegisterMmio(DevicePhysical, DeviceLength, new StoppingDevice(machine.Cpu, stopAtWrite: 3));
        }

        Assert.That(pair.RunAndCompare(), Is.Null);
        Assert.That(pair.Candidate.Cpu.Halted, Is.False, "the stop came before the loop's end");
        Assert.That(pair.Candidate.Cpu.TranslatedInstructions, Is.GreaterThan(0), "no block ran");
    }

    private static CountingDevice Attach(CpuTestMachine machine)
    {
        var device = new CountingDevice(machine.Cpu);
        machine.Memory.RegisterMmio(DevicePhysical, DeviceLength, device);
        return device;
    }

    /// <summary>
    /// Records (address, instruction count) at every access the running guest makes (not the comparison's reads
    /// of the data segment after the halt) and answers reads with the address.
    /// </summary>
    private sealed class CountingDevice(X86Cpu cpu) : IMmioDevice
    {
        public List<(uint Address, long Instructions)> Accesses { get; } = [];

        public uint Read(uint address, AccessWidth width)
        {
            Record(address);
            return address & 0xFFFF;
        }

        public void Write(uint address, AccessWidth width, uint value) => Record(address);

        private void Record(uint address)
        {
            if (!cpu.Halted)
            {
                Accesses.Add((address, cpu.InstructionsSoFar));
            }
        }
    }

    /// <summary>Asks the CPU to stop at its <c>stopAtWrite</c>-th write; reads answer zero.</summary>
    private sealed class StoppingDevice(X86Cpu cpu, int stopAtWrite) : IMmioDevice
    {
        private int _writes;

        public uint Read(uint address, AccessWidth width) => 0;

        public void Write(uint address, AccessWidth width, uint value)
        {
            if (++_writes == stopAtWrite)
            {
                cpu.RequestStop();
            }
        }
    }
}
