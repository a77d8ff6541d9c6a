using Emulator.Machine.Loop;
using Iced.Intel;
using static Emulator.Devices.Tests.Floppy.FloppyTestBed;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Devices.Tests.Floppy;

/// <summary>
/// The path a BIOS takes, run as guest code on the CPU: PIC set up for IRQ 6, DOR reset and four
/// SENSE INTERRUPTs, SPECIFY, RECALIBRATE, 8237 channel 2 programmed, a multi-track READ DATA of a
/// whole cylinder, waiting for IRQ 6 with HLT, and the result bytes stored for the test to check.
/// </summary>
public class FloppyGuestCodeTests
{
    private const ushort CodeSegment = 0x1000;
    private const ushort HandlerOffset = 0x0800;
    private const uint IrqFlag = 0x0500;
    private const uint ResultBytes = 0x0510;
    private const byte Irq6Vector = 0x0E;
    private const uint TargetAddress = 0x20000;
    private const int CylinderBytes = 2 * 18 * SectorBytes;

    private FloppyTestBed _bed = null!;

    [SetUp]
    public void SetUp() => _bed = new FloppyTestBed(runCpu: true);

    [TearDown]
    public void TearDown() => _bed.Dispose();

    private static void Send(Assembler a, Label sendByte, byte value)
    {
        a.mov(al, value);
        a.call(sendByte);
    }

    private static byte[] Assemble(Action<Assembler> build)
    {
        var a = new Assembler(16);
        build(a);
        using var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), 0);
        return stream.ToArray();
    }

    private static byte[] MainProgram() => Assemble(a =>
    {
        var sendByte = a.CreateLabel();
        var receiveByte = a.CreateLabel();
        var waitIrq = a.CreateLabel();
        var start = a.CreateLabel();
        a.jmp(start);

        // Send AL to the FIFO once MSR says RQM=1, DIO=0.
        a.Label(ref sendByte);
        var sendWait = a.CreateLabel();
        a.mov(ah, al);
        a.Label(ref sendWait);
        a.mov(dx, Msr);
        a.@in(al, dx);
        a.and(al, Rqm | Dio);
        a.cmp(al, Rqm);
        a.jne(sendWait);
        a.mov(al, ah);
        a.mov(dx, Fifo);
        a.@out(dx, al);
        a.ret();

        // Read a result byte into AL and store it at ES:DI (DI advances).
        a.Label(ref receiveByte);
        var receiveWait = a.CreateLabel();
        a.nop();
        a.Label(ref receiveWait);
        a.mov(dx, Msr);
        a.@in(al, dx);
        a.and(al, Rqm | Dio);
        a.cmp(al, Rqm | Dio);
        a.jne(receiveWait);
        a.mov(dx, Fifo);
        a.@in(al, dx);
        a.stosb();
        a.ret();

        // HLT until the IRQ 6 handler sets the flag.
        a.Label(ref waitIrq);
        var again = a.CreateLabel();
        var done = a.CreateLabel();
        a.nop();
        a.Label(ref again);
        a.cli();
        a.cmp(__byte_ptr[IrqFlag], 0);
        a.jne(done);
        a.sti();
        a.hlt();
        a.jmp(again);
        a.Label(ref done);
        a.mov(__byte_ptr[IrqFlag], 0);
        a.sti();
        a.ret();

        a.Label(ref start);
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(di, (ushort)ResultBytes);

        // PICs: master at vector 08h, slave at 70h, only IRQ 6 unmasked.
        foreach (var (port, value) in new (ushort, byte)[]
        {
            (0x20, 0x11), (0x21, 0x08), (0x21, 0x04), (0x21, 0x01),
            (0xA0, 0x11), (0xA1, 0x70), (0xA1, 0x02), (0xA1, 0x01),
            (0x21, 0xBF), (0xA1, 0xFF),
        })
        {
            a.mov(dx, port);
            a.mov(al, value);
            a.@out(dx, al);
        }

        a.sti();

        // Controller reset through DOR, then the four SENSE INTERRUPT STATUS a BIOS drains.
        a.mov(dx, Dor);
        a.mov(al, DorInReset);
        a.@out(dx, al);
        a.mov(al, DorRunDriveA);
        a.@out(dx, al);
        a.call(waitIrq);
        for (var i = 0; i < 4; i++)
        {
            Send(a, sendByte, 0x08);
            a.call(receiveByte);
            a.call(receiveByte);
        }

        a.mov(dx, Ccr);
        a.mov(al, Rate500K);
        a.@out(dx, al);
        Send(a, sendByte, 0x03);
        Send(a, sendByte, 0xAF);
        Send(a, sendByte, 0x02);
        Send(a, sendByte, 0x07);
        Send(a, sendByte, 0x00);
        a.call(waitIrq);
        Send(a, sendByte, 0x08);
        a.call(receiveByte);
        a.call(receiveByte);

        // Channel 2: write transfer (device → memory) of one cylinder to 2000:0000.
        foreach (var (port, value) in new (ushort, byte)[]
        {
            (DmaSingleMask, DmaMaskCh2), (DmaClearFlipFlop, 0), (DmaMode, DmaModeWriteCh2),
            (DmaCh2Address, 0), (DmaCh2Address, 0), (DmaCh2Page, (byte)(TargetAddress >> 16)),
            (DmaCh2Count, (CylinderBytes - 1) & 0xFF), (DmaCh2Count, (CylinderBytes - 1) >> 8),
            (DmaSingleMask, DmaUnmaskCh2),
        })
        {
            a.mov(dx, port);
            a.mov(al, value);
            a.@out(dx, al);
        }

        // READ DATA with MT and MFM: cylinder 5, head 0, sector 1, 512-byte sectors, EOT 18.
        foreach (var b in new byte[] { 0xE6, 0x00, 5, 0, 1, 2, 18, 0x1B, 0xFF })
        {
            Send(a, sendByte, b);
        }

        a.call(waitIrq);
        for (var i = 0; i < 7; i++)
        {
            a.call(receiveByte);
        }

        var halt = a.CreateLabel();
        a.Label(ref halt);
        a.cli();
        a.hlt();
        a.jmp(halt);
    });

    private static byte[] IrqHandler() => Assemble(a =>
    {
        a.push(ax);
        a.push(ds);
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(__byte_ptr[IrqFlag], 1);
        a.mov(al, 0x20);
        a.@out(0x20, al);
        a.pop(ds);
        a.pop(ax);
        a.iret();
    });

    [Test]
    public void BiosStyleBoot_ReadsACylinderByDmaWithIrq6()
    {
        _bed.AttachImage(0, 1_474_560);
        var memory = _bed.Machine.Memory;
        memory.Write((uint)CodeSegment << 4, MainProgram());
        memory.Write(((uint)CodeSegment << 4) + HandlerOffset, IrqHandler());
        memory.Write(Irq6Vector * 4u, BitConverter.GetBytes((uint)(CodeSegment << 16) | HandlerOffset));
        _bed.Start();
        var r = _bed.Machine.Cpu.Registers;
        r.CS = CodeSegment;
        r.EIP = 0;
        r.SS = 0;
        r.ESP = 0x7000;

        var reason = _bed.Machine.Run(new RunLimits { MaxInstructions = 5_000_000, ReturnWhenIdle = true, WallTimeout = TimeSpan.FromSeconds(20) });

        const int cylinderStart = 5 * CylinderBytes;
        var expected = Enumerable.Range(cylinderStart, CylinderBytes).Select(i => Pattern(i)).ToArray();
        var senses = _bed.ReadMemory(ResultBytes, 10);
        var result = _bed.ReadMemory(ResultBytes + 10, 7);
        Assert.Multiple(() =>
        {
            Assert.That(reason, Is.EqualTo(RunStopReason.Idle));
            Assert.That(senses, Is.EqualTo(new byte[] { 0xC0, 0, 0xC1, 0, 0xC2, 0, 0xC3, 0, 0x20, 0 }));
            Assert.That(result, Is.EqualTo(new byte[] { 0x20, 0, 0, 6, 0, 1, 2 }));
            Assert.That(_bed.ReadMemory(TargetAddress, CylinderBytes), Is.EqualTo(expected));
        });
    }
}
