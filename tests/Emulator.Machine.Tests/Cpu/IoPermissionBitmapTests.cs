using static Emulator.Machine.Tests.Cpu.PagedCpuMachine;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

/// <summary>
/// The TSS I/O permission bitmap (Intel SDM vol. 1, 19.5): at CPL &gt; IOPL, IN/OUT/INS/OUTS run only when
/// every bit for the ports they touch is clear; a port whose bitmap bytes lie past the TSS limit, or any
/// set bit, is #GP(0) at the instruction. At CPL ≤ IOPL the bitmap is not read.
/// </summary>
public class IoPermissionBitmapTests
{
    private const uint UserCodeAddress = CodeAddress + 0x800;
    private const uint UserResult = 0x3200;
    private const int GeneralProtection = 13;
    private const uint IoplThree = 0x3002;

    // The bitmap right after the 104-byte TSS, covering ports 0–3FFh, then the terminating FFh byte.
    private const uint BitmapOffsetField = 0x66;
    private const uint BitmapOffset = 0x68;
    private const uint BitmapBytes = 0x400 / 8;
    private const uint TssLimitWithBitmap = BitmapOffset + BitmapBytes;
    private const byte DeniedPort = 0x81;
    private const ushort PortPastBitmap = 0x400;

    [Test]
    public void InOut_Ring3PortsAllowedByBitmap_RunAndDeniedPortFaults()
    {
        var machine = WithBitmap(allowed: [0x7F, 0x80]);
        machine.WriteCode(UserCodeAddress, asm =>
        {
            asm.mov(al, 0x5A);
            asm.@out(0x80, al);
            asm.mov(dx, 0x7F);
            asm.@out(dx, ax);
            asm.mov(__dword_ptr.ss[UserResult], 1);
            asm.@in(al, DeniedPort);
            asm.mov(__dword_ptr.ss[UserResult], 2);
        });
        machine.Load(asm => EnterUser(asm, UserCodeAddress));

        machine.RunToHalt();

        Assert.Multiple(() =>
        {
            Assert.That(machine.Inner.ReadDword(UserResult), Is.EqualTo(1u), "the allowed byte and word accesses ran");
            Assert.That(machine.FaultVector, Is.EqualTo(GeneralProtection));
            Assert.That(machine.FaultErrorCode, Is.Zero);
            Assert.That(machine.FaultEip, Is.EqualTo(UserCodeAddress + 21), "at IN from the denied port (after 2 + 2 + 4 + 2 + 11 bytes)");
        });
    }

    [Test]
    public void OutWord_OneOfItsTwoPortsDenied_Faults()
    {
        var machine = WithBitmap(allowed: [0x80]);
        machine.WriteCode(UserCodeAddress, asm =>
        {
            asm.mov(dx, 0x80);
            asm.@out(dx, ax);
        });
        machine.Load(asm => EnterUser(asm, UserCodeAddress));

        machine.RunToHalt();

        Assert.That((machine.FaultVector, machine.FaultEip), Is.EqualTo(((uint)GeneralProtection, UserCodeAddress + 4)), "port 81h is denied");
    }

    [Test]
    public void In_PortWhoseBitmapBytesPassTheTssLimit_Faults()
    {
        var machine = WithBitmap(allowed: []);
        machine.WriteCode(UserCodeAddress, asm =>
        {
            asm.mov(dx, PortPastBitmap);
            asm.@in(al, dx);
        });
        machine.Load(asm => EnterUser(asm, UserCodeAddress));

        machine.RunToHalt();

        Assert.That((machine.FaultVector, machine.FaultEip), Is.EqualTo(((uint)GeneralProtection, UserCodeAddress + 4)));
    }

    [Test]
    public void RepOutsb_Ring3AllowedPort_RunsEveryElement()
    {
        var machine = WithBitmap(allowed: [0x80]);
        machine.WriteCode(UserCodeAddress, asm =>
        {
            asm.mov(esi, UserResult + 0x10);
            asm.mov(ecx, 3);
            asm.mov(dx, 0x80);
            asm.rep.outsb();
            asm.mov(__dword_ptr.ss[UserResult], ecx);
            asm.mov(dx, DeniedPort);
            asm.outsb();
        });
        machine.Load(asm => EnterUser(asm, UserCodeAddress));

        machine.RunToHalt();

        Assert.Multiple(() =>
        {
            Assert.That(machine.Inner.ReadDword(UserResult), Is.Zero, "REP OUTSB ran to ECX = 0");
            Assert.That(machine.FaultVector, Is.EqualTo(GeneralProtection), "OUTSB to the denied port");
        });
    }

    [Test]
    public void In_Ring3WithIopl3_DoesNotReadTheBitmap()
    {
        var machine = WithBitmap(allowed: []);
        machine.WriteCode(UserCodeAddress, asm =>
        {
            asm.@in(al, DeniedPort);
            asm.mov(__dword_ptr.ss[UserResult], 1);
        });
        machine.Load(asm => EnterUser(asm, UserCodeAddress, IoplThree));

        machine.RunToHalt();

        Assert.That(machine.Inner.ReadDword(UserResult), Is.EqualTo(1u));
    }

    /// <summary>A TSS whose bitmap denies every port but <paramref name="allowed"/>, with its limit just covering the bitmap and terminator.</summary>
    private static PagedCpuMachine WithBitmap(ushort[] allowed)
    {
        var machine = new PagedCpuMachine();
        var bitmap = Enumerable.Repeat((byte)0xFF, (int)BitmapBytes + 1).ToArray();
        foreach (var port in allowed)
        {
            bitmap[port >> 3] &= (byte)~(1 << (port & 7));
        }

        machine.Inner.Memory.Write(TssAddress + BitmapOffset, bitmap);
        machine.Inner.Memory.Write(TssAddress + BitmapOffsetField, [(byte)BitmapOffset, 0]);
        machine.Registers.TaskRegister = machine.Registers.TaskRegister with { Limit = TssLimitWithBitmap };
        return machine;
    }
}
