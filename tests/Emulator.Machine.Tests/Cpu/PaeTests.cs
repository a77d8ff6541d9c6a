using static Emulator.Machine.Tests.Cpu.PagedCpuMachine;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

/// <summary>
/// PAE paging (Intel SDM vol. 3, 4.4) as memtest86+ uses it: PDPTEs from CR3, 64-bit directory and
/// table entries, 2 MiB pages, the reserved-bit #PF for entries beyond this machine's 32-bit physical
/// space, and the CPUID and CR4 bits that advertise and enable it.
/// </summary>
public class PaeTests
{
    private const uint DataPage = 0x5_0000;
    private const uint DataPageNumber = DataPage / PageSize;
    private const uint OtherPage = 0x6_0000;
    private const uint Marker = 0xC0DE_1234;
    private const uint LargeLinear = 0x0020_0000;
    private const uint SecondGigabyte = 0x4000_0000;
    private const int PageFault = 14;
    private const int GeneralProtection = 13;
    private const uint ReservedBit = 8;

    [Test]
    public void Read_IdentityMappedPage_ReadsRamAndSetsAccessedInPaeEntries()
    {
        var machine = new PagedCpuMachine().UsePae();
        machine.WriteDwords(DataPage, Marker);
        machine.Load(asm => asm.mov(ebx, __dword_ptr[DataPage]));

        machine.RunToHalt();

        Assert.That(machine.FaultVector, Is.EqualTo(NoVector));
        Assert.That(machine.Registers.EBX, Is.EqualTo(Marker));
        Assert.That(machine.PaeEntry(PaeTableAddress, DataPageNumber) & (Accessed | Dirty), Is.EqualTo(Accessed));
        Assert.That(machine.PaeEntry(PaeDirectoryAddress, 0) & Accessed, Is.EqualTo(Accessed));
    }

    [Test]
    public void Write_TwoMegabytePage_MapsThroughPdeAndSetsDirty()
    {
        var machine = new PagedCpuMachine().UsePae();
        machine.SetPaeEntry(PaeDirectoryAddress, 1, 0 | Present | Writable | LargePage);
        machine.Load(asm => asm.mov(__dword_ptr[LargeLinear + OtherPage], Marker));

        machine.RunToHalt();

        Assert.That(machine.Inner.ReadDword(OtherPage), Is.EqualTo(Marker));
        Assert.That(machine.PaeEntry(PaeDirectoryAddress, 1) & (Accessed | Dirty), Is.EqualTo(Accessed | Dirty));
    }

    [Test]
    public void Read_NotPresentPdpte_RaisesPageFault()
    {
        var machine = new PagedCpuMachine().UsePae();
        machine.Load(asm => asm.mov(eax, __dword_ptr[SecondGigabyte]));

        machine.RunToHalt();

        Assert.That(machine.FaultVector, Is.EqualTo(PageFault));
        Assert.That(machine.FaultErrorCode, Is.EqualTo(0));
        Assert.That(machine.FaultCr2, Is.EqualTo(SecondGigabyte));
    }

    [Test]
    public void Read_EntryAboveFourGigabytes_RaisesReservedBitPageFault()
    {
        var machine = new PagedCpuMachine().UsePae();
        machine.SetPaeEntry(PaeTableAddress, DataPageNumber, DataPage | Present | Writable, 1);
        machine.Load(asm => asm.mov(eax, __dword_ptr[DataPage]));

        machine.RunToHalt();

        Assert.That(machine.FaultErrorCode, Is.EqualTo(ReservedBit | Present));
        Assert.That(machine.FaultCr2, Is.EqualTo(DataPage));
    }

    [Test]
    public void SwitchTo32BitPaging_ThroughPagingOff_UsesTwoLevelTablesAgain()
    {
        var machine = new PagedCpuMachine().UsePae();
        machine.SetPaeEntry(PaeTableAddress, DataPageNumber, OtherPage | Present | Writable);
        machine.WriteDwords(DataPage, Marker);
        machine.Load(asm =>
        {
            asm.mov(ebx, __dword_ptr[DataPage]);
            asm.mov(edx, cr0);
            asm.mov(eax, edx);
            asm.and(eax, 0x7FFF_FFFF);
            asm.mov(cr0, eax);
            asm.xor(eax, eax);
            asm.mov(cr4, eax);
            asm.mov(eax, DirectoryAddress);
            asm.mov(cr3, eax);
            asm.mov(cr0, edx);
            asm.mov(ecx, __dword_ptr[DataPage]);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EBX, Is.Zero, "PAE tables mapped the page to OtherPage (zeroed RAM)");
        Assert.That(machine.Registers.ECX, Is.EqualTo(Marker), "the 32-bit tables map it to itself");
    }

    [Test]
    public void MovCr4_UnsupportedBit_RaisesGeneralProtection()
    {
        const uint VirtualModeExtensions = 1;
        var machine = new PagedCpuMachine().Load(asm =>
        {
            asm.mov(eax, VirtualModeExtensions);
            asm.mov(cr4, eax);
        });

        machine.RunToHalt();

        Assert.That(machine.FaultVector, Is.EqualTo(GeneralProtection));
        Assert.That(machine.Registers.CR4, Is.Zero);
    }

    [Test]
    public void Cpuid_Leaf1_AdvertisesPsePaeAndPge()
    {
        const uint Pse = 1 << 3;
        const uint Pae = 1 << 6;
        const uint Pge = 1 << 13;
        var machine = new PagedCpuMachine().Load(asm =>
        {
            asm.mov(eax, 1);
            asm.cpuid();
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EDX & (Pse | Pae | Pge), Is.EqualTo(Pse | Pae | Pge));
    }
}
