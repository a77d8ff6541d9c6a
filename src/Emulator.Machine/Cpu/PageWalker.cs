using Emulator.Machine.Memory;

namespace Emulator.Machine.Cpu;

/// <summary>
/// The i686 page walks (Intel SDM vol. 3, 4.3 and 4.4). 32-bit paging: CR3 → page directory → page
/// table, or a 4 MiB page when CR4.PSE and PDE.PS are set. PAE paging (CR4.PAE): the four PDPTEs
/// loaded from CR3 when it is written or paging is switched on, then 64-bit page-directory and
/// page-table entries, 2 MiB pages through PDE.PS. Rights are the intersection of the levels: user
/// accesses need U and, for writes, R/W in every level; supervisor writes honour R/W only with CR0.WP.
/// A successful walk sets Accessed in the entries it used and Dirty in the leaf on a write, then fills
/// the <see cref="Tlb"/>; a failed one leaves memory alone and reports the #PF error code. The walker's
/// own accesses are physical (A20 applies as on the bus).
/// <para>
/// Not emulated: PSE-36, the PAT/PCD/PWT caching attributes, NX (bit 63 is reserved: no EFER), and
/// physical addresses of 4 GiB and above: this machine's bus is 32 bits wide, so an entry with any of
/// bits 63:32 set is a reserved-bit #PF (a MAXPHYADDR of 32). The #GP a real CPU raises for reserved
/// PDPTE bits on MOV CR3 is not raised.
/// </para>
/// </summary>
internal sealed class PageWalker(CpuRegisters registers, GuestMemory memory, Tlb tlb)
{
    private const int PaeEntries = 4;
    private const int PaeDirectoryShift = 30;
    private const int PaeTableShift = 21;
    private const uint PaeIndexMask = 0x1FF;
    private const int PaeEntrySize = 8;
    private const uint PdptBaseMask = 0xFFFF_FFE0;
    private const uint PaeLargeFrameMask = 0xFFE0_0000;

    private readonly ulong[] _pdptes = new ulong[PaeEntries];

    /// <summary>Loads the PAE page-directory-pointer entries from CR3 (MOV CR3, or PAE paging switched on).</summary>
    public void LoadPdptes()
    {
        if ((registers.CR4 & ControlRegisters.PhysicalAddressExtension) == 0)
        {
            return;
        }

        var table = registers.CR3 & PdptBaseMask;
        for (var i = 0u; i < PaeEntries; i++)
        {
            var at = table + (i * PaeEntrySize);
            _pdptes[i] = memory.ReadDword(at) | ((ulong)memory.ReadDword(at + 4) << 32);
        }
    }

    /// <summary>
    /// Translates the page of <paramref name="linear"/> for the access; on success returns the 4 KiB
    /// frame's physical base, else false with the #PF error code.
    /// </summary>
    public bool TryWalk(uint linear, bool write, bool user, out uint frame, out int errorCode) =>
        (registers.CR4 & ControlRegisters.PhysicalAddressExtension) != 0
            ? TryWalkPae(linear, write, user, out frame, out errorCode)
            : TryWalk32(linear, write, user, out frame, out errorCode);

    private bool TryWalk32(uint linear, bool write, bool user, out uint frame, out int errorCode)
    {
        frame = 0;
        var denied = Denied(write, user);
        var directoryEntry = (registers.CR3 & PageEntry.FrameMask) + (((linear >> PageEntry.DirectoryShift) & PageEntry.IndexMask) * PageEntry.EntrySize);
        var pde = memory.ReadDword(directoryEntry);
        if ((pde & PageEntry.Present) == 0)
        {
            errorCode = denied;
            return false;
        }

        var large = (pde & PageEntry.LargePage) != 0 && (registers.CR4 & ControlRegisters.PageSizeExtensions) != 0;
        uint tableEntry = 0;
        var leaf = pde;
        if (!large)
        {
            tableEntry = (pde & PageEntry.FrameMask) + (((linear >> PageEntry.TableShift) & PageEntry.IndexMask) * PageEntry.EntrySize);
            leaf = memory.ReadDword(tableEntry);
            if ((leaf & PageEntry.Present) == 0)
            {
                errorCode = denied;
                return false;
            }
        }

        return Complete(linear, write, user, denied, directoryEntry, pde, tableEntry, leaf, large ? PageEntry.LargeFrameMask : 0, out frame, out errorCode);
    }

    private bool TryWalkPae(uint linear, bool write, bool user, out uint frame, out int errorCode)
    {
        frame = 0;
        var denied = Denied(write, user);
        var pdpte = _pdptes[linear >> PaeDirectoryShift];
        if ((pdpte & PageEntry.Present) == 0)
        {
            errorCode = denied;
            return false;
        }

        if (pdpte >> 32 != 0)
        {
            errorCode = denied | (int)(PageFaultError.Present | PageFaultError.Reserved);
            return false;
        }

        var directoryEntry = ((uint)pdpte & PageEntry.FrameMask) + (((linear >> PaeTableShift) & PaeIndexMask) * PaeEntrySize);
        if (!TryReadPaeEntry(directoryEntry, denied, out var pde, out errorCode))
        {
            return false;
        }

        var large = (pde & PageEntry.LargePage) != 0;
        uint tableEntry = 0;
        var leaf = pde;
        if (!large)
        {
            tableEntry = (pde & PageEntry.FrameMask) + (((linear >> PageEntry.TableShift) & PaeIndexMask) * PaeEntrySize);
            if (!TryReadPaeEntry(tableEntry, denied, out leaf, out errorCode))
            {
                return false;
            }
        }

        return Complete(linear, write, user, denied, directoryEntry, pde, tableEntry, leaf, large ? PaeLargeFrameMask : 0, out frame, out errorCode);
    }

    /// <summary>
    /// The end of either walk once the entries are read: the combined rights checked, accessed (and on a
    /// write dirty) bits set, the frame computed (<paramref name="largeFrameMask"/> 0 for a 4 KiB page)
    /// and the TLB filled.
    /// </summary>
    private bool Complete(uint linear, bool write, bool user, int denied, uint directoryEntry, uint pde, uint tableEntry, uint leaf,
        uint largeFrameMask, out uint frame, out int errorCode)
    {
        var large = largeFrameMask != 0;
        var rights = large ? pde : pde & leaf;
        if (!Allowed(rights, write, user))
        {
            frame = 0;
            errorCode = denied | (int)PageFaultError.Present;
            return false;
        }

        SetBits(directoryEntry, pde, PageEntry.Accessed | (large && write ? PageEntry.Dirty : 0));
        if (!large)
        {
            SetBits(tableEntry, leaf, PageEntry.Accessed | (write ? PageEntry.Dirty : 0));
        }

        frame = large
            ? (leaf & largeFrameMask) | (linear & ~largeFrameMask & PageEntry.FrameMask)
            : leaf & PageEntry.FrameMask;
        Fill(linear, frame, rights, leaf, write, large);
        errorCode = 0;
        return true;
    }

    /// <summary>Reads the low half of a 64-bit PAE entry; a present entry with any high bit set is a reserved-bit fault.</summary>
    private bool TryReadPaeEntry(uint address, int denied, out uint entry, out int errorCode)
    {
        entry = memory.ReadDword(address);
        errorCode = denied;
        if ((entry & PageEntry.Present) == 0)
        {
            return false;
        }

        if (memory.ReadDword(address + 4) != 0)
        {
            errorCode = denied | (int)(PageFaultError.Present | PageFaultError.Reserved);
            return false;
        }

        return true;
    }

    private static int Denied(bool write, bool user) => (write ? (int)PageFaultError.Write : 0) | (user ? (int)PageFaultError.User : 0);

    private bool Allowed(uint rights, bool write, bool user)
    {
        var userRead = (rights & PageEntry.User) != 0;
        if (user)
        {
            return userRead && (!write || (rights & PageEntry.Writable) != 0);
        }

        return !write || (rights & PageEntry.Writable) != 0 || (registers.CR0 & ControlRegisters.WriteProtect) == 0;
    }

    private void Fill(uint linear, uint frame, uint rights, uint leaf, bool write, bool large)
    {
        var userRead = (rights & PageEntry.User) != 0;
        var userWrite = userRead && (rights & PageEntry.Writable) != 0;
        var supervisorWrite = (rights & PageEntry.Writable) != 0 || (registers.CR0 & ControlRegisters.WriteProtect) == 0;
        var dirty = write || (leaf & PageEntry.Dirty) != 0;
        var global = (leaf & PageEntry.Global) != 0 && (registers.CR4 & ControlRegisters.PageGlobalEnable) != 0;
        tlb.Fill(linear >> PageEntry.TableShift, frame, supervisorWrite && dirty, userRead, userWrite && dirty, global, large);
    }

    private void SetBits(uint address, uint entry, uint bits)
    {
        if ((entry & bits) != bits)
        {
            memory.WriteDword(address, entry | bits);
        }
    }
}
