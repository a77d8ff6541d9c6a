using Emulator.Machine.Memory;

namespace Emulator.Machine.Cpu;

/// <summary>
/// The i686 two-level page walk (Intel SDM vol. 3, 4.3): CR3 → page directory → page table, or a
/// 4 MiB page when CR4.PSE and PDE.PS are set. Rights are the intersection of both levels: user
/// accesses need U in both and, for writes, R/W in both; supervisor writes honour R/W only with
/// CR0.WP. A successful walk sets Accessed in the entries it used and Dirty in the leaf on a write,
/// then fills the <see cref="Tlb"/>; a failed one leaves memory alone and reports the #PF error code.
/// The walker's own reads and writes are physical (A20 applies as on the bus). Not emulated: PAE,
/// PSE-36, PAT/PCD/PWT caching attributes.
/// </summary>
internal sealed class PageWalker(CpuRegisters registers, GuestMemory memory, Tlb tlb)
{
    /// <summary>
    /// Translates the page of <paramref name="linear"/> for the access; on success returns the 4 KiB
    /// frame's physical base, else false with the #PF error code.
    /// </summary>
    public bool TryWalk(uint linear, bool write, bool user, out uint frame, out int errorCode)
    {
        frame = 0;
        var denied = (write ? (int)PageFaultError.Write : 0) | (user ? (int)PageFaultError.User : 0);
        var directoryEntry = (registers.CR3 & PageEntry.FrameMask) + (((linear >> PageEntry.DirectoryShift) & PageEntry.IndexMask) * PageEntry.EntrySize);
        var pde = memory.ReadDword(directoryEntry);
        if ((pde & PageEntry.Present) == 0)
        {
            errorCode = denied;
            return false;
        }

        var large = (pde & PageEntry.LargePage) != 0 && (registers.CR4 & ControlRegisters.PageSizeExtensions) != 0;
        uint tableEntry = 0;
        uint leaf;
        uint rights;
        if (large)
        {
            leaf = pde;
            rights = pde;
        }
        else
        {
            tableEntry = (pde & PageEntry.FrameMask) + (((linear >> PageEntry.TableShift) & PageEntry.IndexMask) * PageEntry.EntrySize);
            leaf = memory.ReadDword(tableEntry);
            if ((leaf & PageEntry.Present) == 0)
            {
                errorCode = denied;
                return false;
            }

            rights = pde & leaf;
        }

        var userRead = (rights & PageEntry.User) != 0;
        var userWrite = userRead && (rights & PageEntry.Writable) != 0;
        var supervisorWrite = (rights & PageEntry.Writable) != 0 || (registers.CR0 & ControlRegisters.WriteProtect) == 0;
        var allowed = user ? (write ? userWrite : userRead) : !write || supervisorWrite;
        if (!allowed)
        {
            errorCode = denied | (int)PageFaultError.Present;
            return false;
        }

        SetBits(directoryEntry, pde, PageEntry.Accessed | (large && write ? PageEntry.Dirty : 0));
        if (!large)
        {
            SetBits(tableEntry, leaf, PageEntry.Accessed | (write ? PageEntry.Dirty : 0));
        }

        var dirty = write || (leaf & PageEntry.Dirty) != 0;
        frame = large
            ? (leaf & PageEntry.LargeFrameMask) | (linear & ~PageEntry.LargeFrameMask & PageEntry.FrameMask)
            : leaf & PageEntry.FrameMask;
        var global = (leaf & PageEntry.Global) != 0 && (registers.CR4 & ControlRegisters.PageGlobalEnable) != 0;
        tlb.Fill(linear >> PageEntry.TableShift, frame, supervisorWrite && dirty, userRead, userWrite && dirty, global, large);
        errorCode = 0;
        return true;
    }

    private void SetBits(uint address, uint entry, uint bits)
    {
        if ((entry & bits) != bits)
        {
            memory.WriteDword(address, entry | bits);
        }
    }
}
