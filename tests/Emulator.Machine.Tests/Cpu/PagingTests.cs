using Iced.Intel;
using static Emulator.Machine.Tests.Cpu.PagedCpuMachine;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

/// <summary>
/// Two-level paging through the memory unit (Intel SDM vol. 3, chapter 4): #PF with CR2 and the error
/// code, precise state after the fault, U/S and R/W checks with CR0.WP, accessed and dirty bits, 4 MiB
/// pages, and the TLB's flush points (INVLPG, MOV CR3, global pages).
/// </summary>
public class PagingTests
{
    private const uint Unmapped = 0x0020_0123;
    private const uint DataPage = 0x5_0000;
    private const uint DataPageNumber = DataPage / PageSize;
    private const uint OtherPage = 0x6_0000;
    private const uint Marker = 0xC0DE_1234;
    private const uint OtherMarker = 0x5EED_F00D;
    private const uint Untouched = 0x1111_2222;
    private const uint WriteProtect = 1 << 16;
    private const uint PageSizeExtensions = 1 << 4;
    private const uint PageGlobalEnable = 1 << 7;
    private const uint LargeLinear = 0x00C0_0000;
    private const uint LargeDirectoryIndex = LargeLinear >> 22;
    private const int PageFault = 14;

    [Test]
    public void Read_NotPresentPage_RaisesPageFaultWithCr2AndPreciseState()
    {
        Action<Assembler> code = asm =>
        {
            asm.mov(eax, Untouched);
            asm.mov(ebx, Untouched);
            asm.mov(eax, __dword_ptr[Unmapped]);
        };
        var machine = new PagedCpuMachine().Load(code);

        machine.RunToHalt();

        Assert.That(machine.FaultVector, Is.EqualTo(PageFault));
        Assert.That(machine.FaultErrorCode, Is.EqualTo(0), "not present, read, supervisor");
        Assert.That(machine.FaultCr2, Is.EqualTo(Unmapped));
        Assert.That(machine.FaultEip, Is.EqualTo(AddressOf(code, 2)), "the faulting instruction restarts");
        Assert.That(machine.Registers.EBX, Is.EqualTo(Untouched));
    }

    [Test]
    public void Add_ToNotPresentPage_FaultsWithWriteIntentAndLeavesFlags()
    {
        var machine = new PagedCpuMachine().Load(asm =>
        {
            asm.mov(ecx, 1);
            asm.stc();
            asm.add(__dword_ptr[Unmapped], ecx);
        });

        machine.RunToHalt();

        Assert.That(machine.FaultErrorCode, Is.EqualTo(2), "not present, write intent of the read-modify-write");
        Assert.That(machine.Registers.CarryFlag, Is.True, "the faulting ADD committed no flags");
    }

    [Test]
    public void Write_ReadOnlyPageWithWriteProtect_RaisesProtectionFaultAndWritesNothing()
    {
        var machine = new PagedCpuMachine();
        machine.SetTableEntry(TableAddress, DataPageNumber, DataPage | Present | User);
        machine.WriteDwords(DataPage, Untouched);
        machine.Load(asm =>
        {
            asm.mov(eax, cr0);
            asm.or(eax, WriteProtect);
            asm.mov(cr0, eax);
            asm.mov(__dword_ptr[DataPage], Marker);
        });

        machine.RunToHalt();

        Assert.That(machine.FaultErrorCode, Is.EqualTo(3), "present, write, supervisor");
        Assert.That(machine.FaultCr2, Is.EqualTo(DataPage));
        Assert.That(machine.Inner.ReadDword(DataPage), Is.EqualTo(Untouched));
    }

    [Test]
    public void Write_ReadOnlyPageWithoutWriteProtect_SupervisorWriteSucceeds()
    {
        var machine = new PagedCpuMachine();
        machine.SetTableEntry(TableAddress, DataPageNumber, DataPage | Present | User);
        machine.Load(asm => asm.mov(__dword_ptr[DataPage], Marker));

        machine.RunToHalt();

        Assert.That(machine.FaultVector, Is.EqualTo(NoVector));
        Assert.That(machine.Inner.ReadDword(DataPage), Is.EqualTo(Marker));
    }

    [Test]
    public void Read_SupervisorPageAtCpl3_RaisesUserProtectionFault()
    {
        var machine = new PagedCpuMachine();
        machine.SetTableEntry(TableAddress, DataPageNumber, DataPage | Present | Writable);
        const uint UserCodeAddress = CodeAddress + 0x800;
        machine.WriteCode(UserCodeAddress, asm =>
        {
            asm.mov(eax, __dword_ptr[DataPage]);
            asm.hlt();
        });
        machine.Load(asm => EnterUser(asm, UserCodeAddress));

        machine.RunToHalt();

        Assert.That(machine.FaultErrorCode, Is.EqualTo(5), "present, read, user");
        Assert.That(machine.FaultCr2, Is.EqualTo(DataPage));
        Assert.That(machine.FaultEip, Is.EqualTo(UserCodeAddress));
    }

    [Test]
    public void Write_UserReadOnlyPageAtCpl3_RaisesUserWriteProtectionFault()
    {
        var machine = new PagedCpuMachine();
        machine.SetTableEntry(TableAddress, DataPageNumber, DataPage | Present | User);
        const uint UserCodeAddress = CodeAddress + 0x800;
        machine.WriteCode(UserCodeAddress, asm =>
        {
            asm.mov(__dword_ptr[DataPage], eax);
            asm.hlt();
        });
        machine.Load(asm => EnterUser(asm, UserCodeAddress));

        machine.RunToHalt();

        Assert.That(machine.FaultErrorCode, Is.EqualTo(7), "present, write, user");
    }

    [Test]
    public void ReadThenWrite_CleanPage_SetsAccessedThenDirty()
    {
        var machine = new PagedCpuMachine();
        machine.SetTableEntry(TableAddress, DataPageNumber, DataPage | Present | Writable);
        machine.Load(asm => asm.mov(eax, __dword_ptr[DataPage]));
        machine.RunToHalt();
        var afterRead = machine.TableEntry(DataPageNumber);
        machine.Load(asm => asm.mov(__dword_ptr[DataPage], eax));
        machine.Registers.EIP = CodeAddress;
        machine.Inner.Cpu.Halted = false;

        machine.RunToHalt();

        Assert.That(afterRead & (Accessed | Dirty), Is.EqualTo(Accessed));
        Assert.That(machine.TableEntry(DataPageNumber) & (Accessed | Dirty), Is.EqualTo(Accessed | Dirty));
        Assert.That(machine.DirectoryEntry(0) & Accessed, Is.EqualTo(Accessed));
    }

    [Test]
    public void Write_CrossingIntoNotPresentPage_FaultsAtSecondPageAndWritesNeither()
    {
        const uint LastMappedDword = 0x0020_0000 - 2;
        var machine = new PagedCpuMachine();
        machine.WriteDwords(LastMappedDword - 2, Untouched);
        machine.Load(asm => asm.mov(__dword_ptr[LastMappedDword], Marker));

        machine.RunToHalt();

        Assert.That(machine.FaultErrorCode, Is.EqualTo(2), "not present, write");
        Assert.That(machine.FaultCr2, Is.EqualTo(0x0020_0000u), "CR2 names the first byte that did not translate");
        Assert.That(machine.Inner.ReadDword(LastMappedDword - 2), Is.EqualTo(Untouched));
    }

    [Test]
    public void Read_LargePageWithPse_MapsFourMegabytesAndSetsDirtyInDirectory()
    {
        var machine = new PagedCpuMachine();
        machine.SetDirectoryEntry(LargeDirectoryIndex, 0 | Present | Writable | LargePage);
        machine.WriteDwords(OtherPage, Marker);
        machine.Load(asm =>
        {
            asm.mov(eax, cr4);
            asm.or(eax, PageSizeExtensions);
            asm.mov(cr4, eax);
            asm.mov(ebx, __dword_ptr[LargeLinear + OtherPage]);
            asm.mov(__dword_ptr[LargeLinear + OtherPage + 4], ebx);
        });

        machine.RunToHalt();

        Assert.That(machine.FaultVector, Is.EqualTo(NoVector));
        Assert.That(machine.Registers.EBX, Is.EqualTo(Marker));
        Assert.That(machine.Inner.ReadDword(OtherPage + 4), Is.EqualTo(Marker));
        Assert.That(machine.DirectoryEntry(LargeDirectoryIndex) & (Accessed | Dirty), Is.EqualTo(Accessed | Dirty));
    }

    [Test]
    public void Read_LargePageWithoutPse_WalksAsPageTable()
    {
        var machine = new PagedCpuMachine();
        machine.SetDirectoryEntry(LargeDirectoryIndex, SpareTableAddress | Present | Writable | LargePage);
        machine.SetTableEntry(SpareTableAddress, OtherPage / PageSize, DataPage | Present);
        machine.WriteDwords(DataPage, OtherMarker);
        machine.Load(asm => asm.mov(ebx, __dword_ptr[LargeLinear + OtherPage]));

        machine.RunToHalt();

        Assert.That(machine.Registers.EBX, Is.EqualTo(OtherMarker), "PS is ignored while CR4.PSE is clear");
    }

    [Test]
    public void ChangedPte_IsSeenOnlyAfterInvlpg()
    {
        var machine = new PagedCpuMachine();
        machine.WriteDwords(DataPage, Marker);
        machine.WriteDwords(OtherPage, OtherMarker);
        const uint PteAddress = TableAddress + (DataPageNumber * 4);
        machine.Load(asm =>
        {
            asm.mov(eax, __dword_ptr[DataPage]);
            asm.mov(__dword_ptr[PteAddress], OtherPage | Present | Writable);
            asm.mov(ebx, __dword_ptr[DataPage]);
            asm.invlpg(__dword_ptr[DataPage]);
            asm.mov(ecx, __dword_ptr[DataPage]);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EAX, Is.EqualTo(Marker));
        Assert.That(machine.Registers.EBX, Is.EqualTo(Marker), "the TLB still holds the old translation");
        Assert.That(machine.Registers.ECX, Is.EqualTo(OtherMarker), "INVLPG dropped it");
    }

    [Test]
    public void Cr3Reload_DropsNonGlobalButKeepsGlobalEntriesWithPge()
    {
        var machine = new PagedCpuMachine();
        const uint GlobalPage = DataPage + PageSize;
        const uint GlobalPageNumber = GlobalPage / PageSize;
        machine.SetTableEntry(TableAddress, GlobalPageNumber, GlobalPage | Present | Writable | Global);
        machine.WriteDwords(DataPage, Marker);
        machine.WriteDwords(GlobalPage, Marker);
        machine.WriteDwords(OtherPage, OtherMarker);
        machine.Load(asm =>
        {
            asm.mov(eax, cr4);
            asm.or(eax, PageGlobalEnable);
            asm.mov(cr4, eax);
            asm.mov(eax, __dword_ptr[DataPage]);
            asm.mov(eax, __dword_ptr[GlobalPage]);
            asm.mov(__dword_ptr[TableAddress + (DataPageNumber * 4)], OtherPage | Present | Writable);
            asm.mov(__dword_ptr[TableAddress + (GlobalPageNumber * 4)], OtherPage | Present | Writable | Global);
            asm.mov(eax, cr3);
            asm.mov(cr3, eax);
            asm.mov(ebx, __dword_ptr[DataPage]);
            asm.mov(ecx, __dword_ptr[GlobalPage]);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EBX, Is.EqualTo(OtherMarker), "the non-global entry was flushed by MOV CR3");
        Assert.That(machine.Registers.ECX, Is.EqualTo(Marker), "the global entry survived MOV CR3");
    }

    [Test]
    public void Fetch_FromNotPresentPage_RaisesPageFaultAtTarget()
    {
        const uint Target = 0x0030_0000;
        var machine = new PagedCpuMachine().Load(asm =>
        {
            asm.mov(eax, Target);
            asm.jmp(eax);
        });

        machine.RunToHalt();

        Assert.That(machine.FaultErrorCode, Is.EqualTo(0), "not present, read (no I/D bit without PAE/NX)");
        Assert.That(machine.FaultCr2, Is.EqualTo(Target));
        Assert.That(machine.FaultEip, Is.EqualTo(Target));
    }

    [Test]
    public void Code_RemappedToOtherPhysicalPage_RunsTheNewPage()
    {
        const uint Routine = 0x7_0000;
        const uint RoutineNumber = Routine / PageSize;
        var machine = new PagedCpuMachine();
        machine.WriteCode(Routine, asm =>
        {
            asm.mov(eax, Marker);
            asm.ret();
        });
        machine.WriteCode(OtherPage, asm =>
        {
            asm.mov(eax, OtherMarker);
            asm.ret();
        });
        machine.Load(asm =>
        {
            asm.mov(esi, Routine);
            asm.call(esi);
            asm.mov(ebx, eax);
            asm.mov(__dword_ptr[TableAddress + (RoutineNumber * 4)], OtherPage | Present | Writable);
            asm.invlpg(__dword_ptr[Routine]);
            asm.call(esi);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EBX, Is.EqualTo(Marker));
        Assert.That(machine.Registers.EAX, Is.EqualTo(OtherMarker), "decoded code is keyed by physical page");
    }

    [Test]
    public void Code_PatchedThroughAlias_IsSeenAtOtherLinearAddress()
    {
        const uint Routine = 0x7_0000;
        const uint Alias = 0x0030_0000;
        var machine = new PagedCpuMachine();
        machine.SetTableEntry(TableAddress, Alias / PageSize, Routine | Present | Writable);
        machine.WriteCode(Routine, asm =>
        {
            asm.mov(eax, Marker);
            asm.ret();
        });
        machine.Load(asm =>
        {
            asm.mov(esi, Routine);
            asm.call(esi);
            asm.mov(ebx, eax);
            asm.mov(__dword_ptr[Alias + 1], OtherMarker);
            asm.call(esi);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EBX, Is.EqualTo(Marker));
        Assert.That(machine.Registers.EAX, Is.EqualTo(OtherMarker), "a write through the alias dropped the decoded page");
    }

    [Test]
    public void RepMovs_IntoNotPresentPage_StopsAtFailingElement()
    {
        const uint Destination = 0x0020_0000 - 8;
        var machine = new PagedCpuMachine();
        machine.Load(asm =>
        {
            asm.mov(esi, DataPage);
            asm.mov(edi, Destination);
            asm.mov(ecx, 4);
            asm.cld();
            asm.rep.movsd();
        });

        machine.RunToHalt();

        Assert.That(machine.FaultCr2, Is.EqualTo(0x0020_0000u));
        Assert.That(machine.Registers.ECX, Is.EqualTo(2), "two elements were copied before the fault");
        Assert.That(machine.Registers.EDI, Is.EqualTo(0x0020_0000u));
        Assert.That(machine.Registers.ESI, Is.EqualTo(DataPage + 8));
    }

    [Test]
    public void MovCr0_PagingWithoutProtection_RaisesGeneralProtection()
    {
        var machine = new PagedCpuMachine().Load(asm =>
        {
            asm.mov(eax, 0x8000_0000);
            asm.mov(cr0, eax);
        });

        machine.RunToHalt();

        Assert.That(machine.FaultVector, Is.EqualTo(13));
        Assert.That(machine.Registers.CR0 & 0x8000_0001, Is.EqualTo(0x8000_0001u), "CR0 kept its old value");
    }

    [Test]
    public void PageFault_WithNotPresentIdt_EscalatesToDoubleFault()
    {
        var machine = new PagedCpuMachine();
        machine.SetTableEntry(TableAddress, IdtAddress / PageSize, 0);
        machine.Load(asm => asm.mov(eax, __dword_ptr[Unmapped]));

        machine.Inner.Cpu.Run(1);

        Assert.That(machine.Registers.CS, Is.EqualTo(0xF000), "#PF, then #DF through the same IDT, then shutdown (reset)");
        Assert.That(machine.Registers.CR0 & 0x8000_0001, Is.EqualTo(0u));
    }
}
