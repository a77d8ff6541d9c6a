using Emulator.Machine.Cpu;
using Emulator.Machine.Loop;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Devices.Tests.Ide;

/// <summary>
/// Guest code in the interpreter drives the disk the way a polling driver does: PIO with
/// <c>rep insw</c> (the port bus's block fast path) and DMA through the bus master.
/// </summary>
public class IdeGuestCodeTests
{
    private const uint CodeAddress = 0x1_0000;
    private const uint Destination = 0x10_0000;
    private const uint PrdTable = 0x2_0000;
    private const ushort BusMaster = 0xC000;
    private const int Sectors = 24;

    private IdeRig _rig = null!;

    [SetUp]
    public void SetUp() => _rig = new IdeRig(runCpu: true);

    [TearDown]
    public void TearDown() => _rig.Dispose();

    private void RunGuest(Action<Assembler> body)
    {
        var a = new Assembler(32);
        body(a);
        a.hlt();
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), CodeAddress);
        _rig.Machine.Memory.Write(CodeAddress, stream.ToArray());
        var r = _rig.Machine.Cpu.Registers;
        var flat = new SegmentCache { Base = 0, Limit = 0xFFFF_FFFF, Big = true, Access = 0x9B, Selector = 8 };
        r.SetSegment(SegmentRegister.CS, flat);
        r.SetSegment(SegmentRegister.DS, flat with { Access = 0x93, Selector = 0x10 });
        r.SetSegment(SegmentRegister.ES, flat with { Access = 0x93, Selector = 0x10 });
        r.SetSegment(SegmentRegister.SS, flat with { Access = 0x93, Selector = 0x10 });
        r.EIP = CodeAddress;
        r.ESP = 0x9_0000;
        r.InterruptFlag = false;
        _rig.Machine.Run(new RunLimits { ReturnWhenIdle = true, MaxInstructions = 10_000_000 });
    }

    [Test]
    public void Guest_ReadSectorsWithRepInsw_ReadsImage()
    {
        _rig.AttachDisk();
        _rig.Start();

        RunGuest(a =>
        {
            var block = a.CreateLabel();
            var wait = a.CreateLabel();
            a.mov(edi, Destination);
            a.mov(dx, 0x1F6);
            a.mov(al, 0xE0);
            a.@out(dx, al);
            a.mov(dx, 0x1F2);
            a.mov(al, Sectors);
            a.@out(dx, al);
            a.mov(dx, 0x1F3);
            a.mov(al, 10);
            a.@out(dx, al);
            a.xor(al, al);
            a.inc(dx);
            a.@out(dx, al);
            a.inc(dx);
            a.@out(dx, al);
            a.mov(dx, 0x1F7);
            a.mov(al, 0x20);
            a.@out(dx, al);
            a.mov(ebx, Sectors);
            a.Label(ref block);
            a.mov(dx, 0x1F7);
            a.Label(ref wait);
            a.@in(al, dx);
            a.test(al, 0x80);
            a.jnz(wait);
            a.test(al, 0x08);
            a.jz(wait);
            a.mov(dx, 0x1F0);
            a.mov(ecx, 256);
            a.rep.insw();
            a.dec(ebx);
            a.jnz(block);
        });

        Assert.Multiple(() =>
        {
            Assert.That(_rig.Machine.Cpu.Halted, Is.True);
            Assert.That(_rig.ReadMemory(Destination, Sectors * 512), Is.EqualTo(IdeRig.PatternBytes(10 * 512, Sectors * 512)));
        });
    }

    [Test]
    public void Guest_ReadDma_ReadsImageAndSeesInterruptBit()
    {
        _rig.AttachDisk();
        _rig.Start();
        _rig.EnableBusMaster();
        _rig.WritePrdTable(PrdTable, (Destination, Sectors * 512, true));

        RunGuest(a =>
        {
            var wait = a.CreateLabel();
            a.mov(dx, BusMaster + 4);
            a.mov(eax, PrdTable);
            a.@out(dx, eax);
            a.mov(dx, 0x1F6);
            a.mov(al, 0xE0);
            a.@out(dx, al);
            a.mov(dx, 0x1F2);
            a.mov(al, Sectors);
            a.@out(dx, al);
            a.mov(dx, 0x1F3);
            a.mov(al, 3);
            a.@out(dx, al);
            a.xor(al, al);
            a.inc(dx);
            a.@out(dx, al);
            a.inc(dx);
            a.@out(dx, al);
            a.mov(dx, 0x1F7);
            a.mov(al, 0xC8);
            a.@out(dx, al);
            a.mov(dx, BusMaster);
            a.mov(al, 0x09);
            a.@out(dx, al);
            a.mov(dx, BusMaster + 2);
            a.Label(ref wait);
            a.@in(al, dx);
            a.test(al, 0x04);
            a.jz(wait);
            a.mov(esi, eax);
        });

        Assert.Multiple(() =>
        {
            Assert.That(_rig.ReadMemory(Destination, Sectors * 512), Is.EqualTo(IdeRig.PatternBytes(3 * 512, Sectors * 512)));
            Assert.That(_rig.Machine.Cpu.Registers.ESI & 0x05, Is.EqualTo(0x04u), "INTR set, ACTIVE clear when the guest saw it");
        });
    }

    [Test]
    public void Guest_DmaOverItsOwnDecodedCode_ExecutesTheNewCode()
    {
        const uint routine = 0x3_0000;
        var path = _rig.CreateImageFile(1 << 20);
        var replacement = Assemble(routine, a =>
        {
            a.mov(esi, 2);
            a.ret();
        });
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            file.Write(replacement);
        }

        _rig.Ide.AttachDisk(0, 0, _rig.OpenImage(path, "hd0"));
        _rig.Start();
        _rig.EnableBusMaster();
        _rig.Machine.Memory.Write(routine, Assemble(routine, a =>
        {
            a.mov(esi, 1);
            a.ret();
        }));
        _rig.WritePrdTable(PrdTable, (routine, 512, true));

        RunGuest(a =>
        {
            var wait = a.CreateLabel();
            a.mov(eax, routine);
            a.call(eax);
            a.mov(edi, esi);
            a.mov(dx, BusMaster + 4);
            a.mov(eax, PrdTable);
            a.@out(dx, eax);
            a.mov(dx, 0x1F6);
            a.mov(al, 0xE0);
            a.@out(dx, al);
            a.mov(dx, 0x1F2);
            a.mov(al, 1);
            a.@out(dx, al);
            a.xor(al, al);
            a.mov(dx, 0x1F3);
            a.@out(dx, al);
            a.inc(dx);
            a.@out(dx, al);
            a.inc(dx);
            a.@out(dx, al);
            a.mov(dx, 0x1F7);
            a.mov(al, 0xC8);
            a.@out(dx, al);
            a.mov(dx, BusMaster);
            a.mov(al, 0x09);
            a.@out(dx, al);
            a.mov(dx, BusMaster + 2);
            a.Label(ref wait);
            a.@in(al, dx);
            a.test(al, 0x04);
            a.jz(wait);
            a.mov(eax, routine);
            a.call(eax);
        });

        Assert.That((_rig.Machine.Cpu.Registers.EDI, _rig.Machine.Cpu.Registers.ESI), Is.EqualTo((1u, 2u)), "old code first, the DMA'd code after");
    }

    private static byte[] Assemble(uint address, Action<Assembler> body)
    {
        var a = new Assembler(32);
        body(a);
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), address);
        return stream.ToArray();
    }
}
