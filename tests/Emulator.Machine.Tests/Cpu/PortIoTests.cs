using Emulator.Machine.Bus;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

public class PortIoTests
{
    private const ushort DataPort = 0x1F0;
    private const int SectorWords = 256;

    private sealed class SectorDevice : IPortBlockDevice
    {
        public int BlockReads { get; private set; }

        public int ElementReads { get; private set; }

        public ushort LastWrite { get; private set; }

        public uint Read(ushort port, PortWidth width)
        {
            ElementReads++;
            return 0xFFFF;
        }

        public void Write(ushort port, PortWidth width, uint value) => LastWrite = (ushort)value;

        public int ReadString(ushort port, PortWidth width, Span<byte> destination)
        {
            BlockReads++;
            for (var i = 0; i < destination.Length; i++)
            {
                destination[i] = (byte)i;
            }

            return destination.Length / (int)width;
        }

        public int WriteString(ushort port, PortWidth width, ReadOnlySpan<byte> source) => 0;
    }

    [Test]
    public void RepInsw_WholeSectorInsideSegment_UsesOneBlockRead()
    {
        var device = new SectorDevice();
        var machine = new CpuTestMachine();
        machine.Ports.Register(device, DataPort, 8, PortWidths.Byte | PortWidths.Word);
        machine.Load16(asm =>
        {
            asm.cld();
            asm.mov(dx, DataPort);
            asm.mov(di, 0x400);
            asm.mov(cx, SectorWords);
            asm.rep.insw();
        });

        machine.RunToHalt();

        var sector = new byte[SectorWords * 2];
        machine.Memory.Read(CpuTestMachine.Physical(CpuTestMachine.ExtraSegment, 0x400), sector);
        Assert.That(device.BlockReads, Is.EqualTo(1));
        Assert.That(device.ElementReads, Is.Zero);
        Assert.That(sector[0x1FF], Is.EqualTo(0xFF));
        Assert.That(sector[0x101], Is.EqualTo(0x01));
        Assert.That(machine.Registers.DI, Is.EqualTo(0x400 + (SectorWords * 2)));
        Assert.That(machine.Registers.CX, Is.Zero);
    }

    [Test]
    public void OutDxAx_ClaimedPort_WritesWordToDevice()
    {
        var device = new SectorDevice();
        var machine = new CpuTestMachine();
        machine.Ports.Register(device, DataPort, 8, PortWidths.Byte | PortWidths.Word);
        machine.Load16(asm =>
        {
            asm.mov(dx, DataPort);
            asm.mov(ax, 0xBEEF);
            asm.@out(dx, ax);
        });

        machine.RunToHalt();

        Assert.That(device.LastWrite, Is.EqualTo(0xBEEF));
    }

    [Test]
    public void InAl_UnclaimedPort_ReadsAllOnes()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.xor(ax, ax);
            asm.@in(al, 0x80);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.AX, Is.EqualTo(0x00FF));
    }

    [Test]
    public void RequestStop_FromPortWrite_RunReturnsAfterThatInstruction()
    {
        const ushort debugPort = 0x402;
        var machine = new CpuTestMachine();
        machine.Ports.PortWritten += (_, _, _) => machine.Cpu.RequestStop();
        machine.Load16(asm =>
        {
            asm.mov(dx, debugPort);
            asm.mov(al, 1);
            asm.@out(dx, al);
            asm.inc(cx);
        });

        var executed = machine.Cpu.Run(CpuTestMachine.StepLimit);

        Assert.That(executed, Is.EqualTo(3));
        Assert.That(machine.Registers.CX, Is.Zero, "the instruction after OUT has not run");
    }
}
