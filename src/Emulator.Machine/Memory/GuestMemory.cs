using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Emulator.Machine.Memory;

/// <summary>
/// The guest's 32-bit physical address space: RAM from address 0, ROM images (the BIOS at the top of
/// the first MiB and aliased at the top of 4 GiB), MMIO ranges, and the A20 gate.
/// Unbacked addresses read all ones and drop writes, as on a PC bus.
/// <para>
/// The CPU accessors (<see cref="ReadByte"/> … <see cref="WriteDword"/>) apply the A20 mask and take a
/// fast path through a per-page flag table: one table load and one test for plain RAM. ROM that lies
/// inside the RAM range is copied into the RAM array so instruction fetch and reads from it stay on
/// the fast path; its pages refuse writes. Pages that hold decoded instructions lose the fast write
/// path and every write to them is reported to the CPU's decode cache.
/// </para>
/// <para>DMA (<see cref="IDmaMemory"/>) ignores the A20 gate, which sits on the CPU side of the bus,
/// and may only touch RAM.</para>
/// </summary>
public sealed class GuestMemory : IA20Gate, IDmaMemory
{
    /// <summary>Default RAM size: 32 MiB.</summary>
    public const int DefaultRamSize = 32 << 20;

    /// <summary>Smallest RAM accepted: the real-mode megabyte, so the BIOS shadow always fits.</summary>
    public const int MinimumRamSize = 1 << 20;

    /// <summary>Size of a page for the fast-path table and the decode cache.</summary>
    public const int PageSize = 1 << PageShift;

    internal const int PageShift = 12;
    internal const uint PageOffsetMask = PageSize - 1;

    private const uint FirstMegabyte = 1 << 20;
    private const uint A20Bit = 1 << 20;
    private const int PageCount = 1 << (32 - PageShift);
    private const uint Unbacked = 0xFFFF_FFFF;
    private const ulong AddressSpaceSize = 1UL << 32;
    private const byte UnbackedByte = 0xFF;

    /// <summary>The legacy area whose pages the host bridge's PAM registers switch: 0xC0000-0xFFFFF.</summary>
    public const uint ShadowAreaStart = 0xC0000;

    /// <summary>End (exclusive) of the PAM-switched area.</summary>
    public const uint ShadowAreaEnd = FirstMegabyte;

    private const int ShadowPages = (int)(ShadowAreaEnd - ShadowAreaStart) >> PageShift;

    private readonly byte[] _ram;
    private readonly PageFlags[] _pages = new PageFlags[PageCount];

    /// <summary>
    /// The shadow area's DRAM while a page shows the PCI side: <see cref="_ram"/> then holds what the PCI
    /// side reads (the BIOS ROM's bytes, or zeros), so reads of either side stay on the fast path.
    /// </summary>
    private readonly byte[] _hiddenDram = new byte[ShadowPages << PageShift];
    private readonly ShadowAccess[] _shadowAccess = new ShadowAccess[ShadowPages];
    private readonly RegionMap _regions = new();
    /// <summary>The count behind <see cref="Disturbances"/>; a field so translated code reads it in one load.</summary>
    internal long DisturbanceCount;
    private uint _a20Mask = Unbacked;

    /// <summary>
    /// A guest address space with <paramref name="ramSize"/> bytes of zeroed RAM from address 0 and the A20 gate
    /// enabled. Throws <see cref="ArgumentOutOfRangeException"/> unless the size is a multiple of <see
    /// cref="PageSize"/> and at least <see cref="MinimumRamSize"/>.
    /// </summary>
    public GuestMemory(int ramSize = DefaultRamSize)
    {
        if (ramSize < MinimumRamSize || ramSize % PageSize != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ramSize), $"RAM must be a multiple of {PageSize} bytes and at least 1 MiB.");
        }

        _ram = new byte[ramSize];
        for (var page = 0; page < ramSize >> PageShift; page++)
        {
            _pages[page] = PageFlags.DirectRead | PageFlags.Ram;
        }

        // Memory alone is plain RAM throughout; a board with a PAM-capable host bridge applies its power-on
        // state (everything on the PCI side) through SetShadowAccess.
        _shadowAccess.AsSpan().Fill(ShadowAccess.ReadWrite);
    }

    /// <summary>RAM size in bytes.</summary>
    public int RamSize => _ram.Length;

    /// <summary>The RAM array itself, for the differential mode's byte-for-byte comparison (no device is reached).</summary>
    internal ReadOnlySpan<byte> RamContents => _ram;

    /// <summary>True when physical address bit 20 passes through (no 1 MiB wrap).</summary>
    public bool A20Enabled
    {
        get => _a20Mask == Unbacked;
        set
        {
            var mask = value ? Unbacked : ~A20Bit;
            if (mask != _a20Mask)
            {
                _a20Mask = mask;
                MapListener?.OnAddressMaskChanged();
            }
        }
    }

    /// <summary>The mask the CPU applies to every physical address.</summary>
    public uint A20Mask => _a20Mask;

    /// <summary>
    /// CPU accesses that left the RAM fast path (ROM, MMIO, unbacked, page-crossing) so far, plus drops of
    /// translated code (<see cref="NoteCodeDropped"/>). The translating tier ends a block after an instruction
    /// that moved it: a device may have raised an interrupt or asked the CPU to stop, which the interpreter
    /// would notice before the next instruction, and a store may have rewritten the block's own later code.
    /// One count for both, so a block compares one field after each instruction that touches memory.
    /// </summary>
    public long Disturbances => DisturbanceCount;

    /// <summary>The translating tier dropped translated code (a write into a code page, or a flush): see <see cref="Disturbances"/>.</summary>
    internal void NoteCodeDropped() => DisturbanceCount++;

    internal ICodeWriteListener? CodeListener { get; set; }

    /// <summary>Told when a page's flags change or the A20 gate moves (the CPU's translated-code TLB drops what it cached).</summary>
    internal IPageMapListener? MapListener { get; set; }

    /// <summary>
    /// Maps the BIOS image so it ends at the top of the first MiB and, aliased, at the top of 4 GiB
    /// (where a 386's first instruction fetch after reset lands).
    /// </summary>
    public void LoadBios(ReadOnlySpan<byte> image)
    {
        if (image.Length == 0 || image.Length % PageSize != 0 || image.Length > FirstMegabyte / 2)
        {
            throw new ArgumentException("A BIOS image is a whole number of 4 KiB pages, at most 512 KiB.", nameof(image));
        }

        MapRom(FirstMegabyte - (uint)image.Length, image);
        MapRom((uint)(AddressSpaceSize - (ulong)image.Length), image);
    }

    /// <summary>Maps a read-only image at <paramref name="address"/>. Writes to it are dropped.</summary>
    public void MapRom(uint address, ReadOnlySpan<byte> image)
    {
        _regions.Add(new MemoryRegion(address, (uint)image.Length, image.ToArray(), null));
        var shadowed = address % PageSize == 0 && image.Length % PageSize == 0 && address + (ulong)image.Length <= (ulong)_ram.Length;
        if (shadowed)
        {
            for (var done = 0; done < image.Length; done += PageSize)
            {
                // In the shadow area the ROM is the PCI side: mapping it puts the page there (its DRAM kept hidden)
                // until a PAM write brings the DRAM back.
                var at = address + (uint)done;
                if (IsShadowPage(at))
                {
                    SetShadowAccess(at, PageSize, ShadowAccess.Pci);
                }

                image.Slice(done, PageSize).CopyTo(_ram.AsSpan((int)at, PageSize));
                ReportRemap(at >> PageShift);
                _pages[at >> PageShift] = PageFlags.DirectRead;
            }

            return;
        }

        SetPages(address, (uint)image.Length, PageFlags.None);
    }

    /// <summary>
    /// Switches the pages of [<paramref name="address"/>, +<paramref name="length"/>) in the shadow area
    /// (0xC0000-0xFFFFF) between DRAM and the PCI side, as the i440FX's PAM registers do: the DRAM
    /// underneath keeps its contents while the PCI side (ROM, or nothing) shows. Page-aligned.
    /// </summary>
    public void SetShadowAccess(uint address, uint length, ShadowAccess access)
    {
        if (address < ShadowAreaStart || address + (ulong)length > ShadowAreaEnd || address % PageSize != 0 || length % PageSize != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(address), "PAM segments are whole pages inside 0xC0000-0xFFFFF.");
        }

        for (var at = address; at < address + length; at += PageSize)
        {
            var index = ShadowIndex(at);
            var before = _shadowAccess[index];
            if (before == access)
            {
                continue;
            }

            var ram = _ram.AsSpan((int)at, PageSize);
            var hidden = _hiddenDram.AsSpan(index << PageShift, PageSize);
            if (before == ShadowAccess.Pci)
            {
                // DRAM comes back; the PCI side is rebuilt from the ROM whenever it shows again.
                hidden.CopyTo(ram);
            }
            else if (access == ShadowAccess.Pci)
            {
                ram.CopyTo(hidden);
                ReadPciSide(at, ram);
            }

            _shadowAccess[index] = access;
            ReportRemap(at >> PageShift);
            _pages[at >> PageShift] = access == ShadowAccess.ReadWrite ? PageFlags.DirectRead | PageFlags.Ram : PageFlags.DirectRead;
        }
    }

    /// <summary>The PAM state of the shadow-area page holding <paramref name="address"/>.</summary>
    public ShadowAccess GetShadowAccess(uint address) =>
        IsShadowPage(address) ? _shadowAccess[ShadowIndex(address)] : throw new ArgumentOutOfRangeException(nameof(address));

    /// <summary>Claims <paramref name="length"/> bytes from <paramref name="address"/> for <paramref name="device"/>.</summary>
    public void RegisterMmio(uint address, uint length, IMmioDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        _regions.Add(new MemoryRegion(address, length, null, device));
        SetPages(address, length, PageFlags.None);
    }

    /// <summary>
    /// Claims a range for a device whose place the guest chooses (a PCI memory BAR): unlike
    /// <see cref="RegisterMmio"/> a range that overlaps ROM or another device is refused (false)
    /// rather than thrown, because a guest may program any address. MMIO over RAM hides the RAM.
    /// </summary>
    public bool TryRegisterMmio(uint address, uint length, IMmioDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!_regions.TryAdd(new MemoryRegion(address, length, null, device)))
        {
            return false;
        }

        SetPages(address, length, PageFlags.None);
        return true;
    }

    /// <summary>
    /// Releases a range claimed with <see cref="TryRegisterMmio"/>: RAM pages it hid that no other
    /// region touches become plain RAM again. False when <paramref name="device"/> had no range there.
    /// </summary>
    public bool UnregisterMmio(uint address, uint length, IMmioDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (length == 0 || !_regions.Remove(address, device))
        {
            return false;
        }

        var last = (uint)((address + (ulong)length - 1) >> PageShift);
        for (var page = address >> PageShift; page <= last; page++)
        {
            var start = page << PageShift;
            var isRam = start < (uint)_ram.Length && !_regions.Overlaps(start, PageSize);
            ReportRemap(page);
            _pages[page] = isRam ? PageFlags.DirectRead | PageFlags.Ram : PageFlags.None;
        }

        return true;
    }

    /// <summary>
    /// CPU-side read of the byte at <paramref name="address"/> (A20 applied): RAM, ROM or MMIO; 0xFF where nothing is
    /// mapped.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte ReadByte(uint address)
    {
        address &= _a20Mask;
        if ((Page(address) & PageFlags.DirectRead) != 0)
        {
            return Unsafe.Add(ref RamStart, address);
        }

        return (byte)ReadSlow(address, AccessWidth.Byte);
    }

    /// <summary>CPU-side little-endian word read; may straddle a page or region boundary.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ushort ReadWord(uint address)
    {
        address &= _a20Mask;
        if ((address & PageOffsetMask) <= PageOffsetMask - 1 && (Page(address) & PageFlags.DirectRead) != 0)
        {
            return Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref RamStart, address));
        }

        return (ushort)ReadSlow(address, AccessWidth.Word);
    }

    /// <summary>CPU-side little-endian doubleword read; may straddle a page or region boundary.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint ReadDword(uint address)
    {
        address &= _a20Mask;
        if ((address & PageOffsetMask) <= PageOffsetMask - 3 && (Page(address) & PageFlags.DirectRead) != 0)
        {
            return Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref RamStart, address));
        }

        return ReadSlow(address, AccessWidth.Dword);
    }

    /// <summary>
    /// CPU-side write of a byte (A20 applied): ROM and unmapped addresses drop it; a write to a page holding decoded
    /// code invalidates that code.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteByte(uint address, byte value)
    {
        address &= _a20Mask;
        if ((Page(address) & (PageFlags.Ram | PageFlags.Code)) == PageFlags.Ram)
        {
            Unsafe.Add(ref RamStart, address) = value;
            return;
        }

        WriteSlow(address, AccessWidth.Byte, value);
    }

    /// <summary>CPU-side little-endian word write, with the rules of <see cref="WriteByte"/> for each byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteWord(uint address, ushort value)
    {
        address &= _a20Mask;
        if ((address & PageOffsetMask) <= PageOffsetMask - 1 && (Page(address) & (PageFlags.Ram | PageFlags.Code)) == PageFlags.Ram)
        {
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref RamStart, address), value);
            return;
        }

        WriteSlow(address, AccessWidth.Word, value);
    }

    /// <summary>CPU-side little-endian doubleword write, with the rules of <see cref="WriteByte"/> for each byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteDword(uint address, uint value)
    {
        address &= _a20Mask;
        if ((address & PageOffsetMask) <= PageOffsetMask - 3 && (Page(address) & (PageFlags.Ram | PageFlags.Code)) == PageFlags.Ram)
        {
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref RamStart, address), value);
            return;
        }

        WriteSlow(address, AccessWidth.Dword, value);
    }

    /// <summary>
    /// Reads through the CPU's view (A20 applied, ROM and MMIO included); a device sees the run in the
    /// widest naturally aligned accesses of up to 4 bytes (a 4-byte run at an aligned address is one dword access).
    /// </summary>
    public void Read(uint address, Span<byte> destination)
    {
        var done = 0;
        while (done < destination.Length)
        {
            var at = (address + (uint)done) & _a20Mask;
            var chunk = Math.Min(destination.Length - done, PageSize - (int)(at & PageOffsetMask));
            if ((Page(at) & PageFlags.DirectRead) != 0)
            {
                _ram.AsSpan((int)at, chunk).CopyTo(destination.Slice(done, chunk));
            }
            else
            {
                ReadSlowRun(at, destination.Slice(done, chunk));
            }

            done += chunk;
        }
    }

    /// <summary>
    /// Reads the physical address space as a bus master beside the CPU sees it (qtest's read verbs):
    /// below 4 GiB as <see cref="Read"/>, MMIO at the widths the run allows; nothing wraps at 4 GiB, and
    /// above it nothing answers, so those bytes read 0 as in QEMU's unassigned space (this PC has no
    /// memory above 4 GiB).
    /// </summary>
    public void ReadPhysical(ulong address, Span<byte> destination)
    {
        var below = BelowFourGiB(address, destination.Length);
        Read((uint)address, destination[..below]);
        destination[below..].Clear();
    }

    /// <summary>Writes the physical address space as <see cref="ReadPhysical"/> reads it: what lies at or above 4 GiB is dropped.</summary>
    public void WritePhysical(ulong address, ReadOnlySpan<byte> source) =>
        Write((uint)address, source[..BelowFourGiB(address, source.Length)]);

    /// <summary>Writes through the CPU's view (A20 applied, ROM writes dropped, code pages reported); devices see access widths as in <see cref="Read"/>.</summary>
    public void Write(uint address, ReadOnlySpan<byte> source)
    {
        var done = 0;
        while (done < source.Length)
        {
            var at = (address + (uint)done) & _a20Mask;
            var chunk = Math.Min(source.Length - done, PageSize - (int)(at & PageOffsetMask));
            var flags = Page(at);
            if ((flags & PageFlags.Ram) != 0)
            {
                source.Slice(done, chunk).CopyTo(_ram.AsSpan((int)at, chunk));
                if ((flags & PageFlags.Code) != 0)
                {
                    CodeListener?.OnCodeWrite(at, chunk);
                }
            }
            else
            {
                WriteSlowRun(at, source.Slice(done, chunk));
            }

            done += chunk;
        }
    }

    /// <inheritdoc />
    public bool TryRead(ulong address, Span<byte> destination)
    {
        if (!IsRamRange(address, destination.Length))
        {
            return false;
        }

        _ram.AsSpan((int)address, destination.Length).CopyTo(destination);
        return true;
    }

    /// <inheritdoc />
    public bool TryWrite(ulong address, ReadOnlySpan<byte> source)
    {
        if (!IsRamRange(address, source.Length))
        {
            return false;
        }

        source.CopyTo(_ram.AsSpan((int)address));
        ReportCodeWrites((uint)address, source.Length);
        return true;
    }

    /// <inheritdoc />
    public bool TryGetRam(ulong address, int length, out Memory<byte> ram)
    {
        if (length <= 0 || !IsRamRange(address, length))
        {
            ram = Memory<byte>.Empty;
            return false;
        }

        ram = _ram.AsMemory((int)address, length);
        return true;
    }

    /// <inheritdoc />
    public void NotifyDirectWrite(ulong address, int length)
    {
        if (length > 0 && IsRamRange(address, length))
        {
            ReportCodeWrites((uint)address, length);
        }
    }

    /// <summary>
    /// Marks a page as holding decoded code: its RAM writes leave the fast path and are reported, and a
    /// remap of the page (RAM, ROM or MMIO) is reported as a write of the whole page.
    /// </summary>
    internal void MarkCodePage(uint page)
    {
        if ((_pages[page] & PageFlags.Code) == 0)
        {
            _pages[page] |= PageFlags.Code;
            MapListener?.OnCodePageMarked(page);
        }
    }

    /// <summary>The decode cache dropped everything from this page; writes may take the fast path again.</summary>
    internal void ClearCodePage(uint page) => _pages[page] &= ~PageFlags.Code;

    /// <summary>
    /// The RAM bytes <paramref name="physical"/>..+<paramref name="length"/> inside one page, when the CPU may read
    /// them (RAM or ROM) or write them (RAM holding no decoded code) straight: what the per-access fast paths
    /// would do for each byte. False for anything else (MMIO, unbacked, a code page written, a page crossed).
    /// </summary>
    internal bool TryGetDirect(uint physical, int length, bool write, out Span<byte> bytes)
    {
        var flags = _pages[physical >> PageShift];
        var allowed = write ? (flags & (PageFlags.Ram | PageFlags.Code)) == PageFlags.Ram : (flags & PageFlags.DirectRead) != 0;
        if (!allowed || length <= 0 || (physical & PageOffsetMask) + (uint)length > PageSize)
        {
            bytes = default;
            return false;
        }

        bytes = _ram.AsSpan((int)physical, length);
        return true;
    }

    /// <summary>The backing array of RAM and ROM (never replaced), for the CPU's inlined translated-code fast path (<c>MemoryUnit.TryReadTranslated</c>).</summary>
    internal byte[] Ram => _ram;

    /// <summary>The flags of every physical page (never replaced; its entries change), for the same fast path.</summary>
    internal PageFlags[] PageTable => _pages;

    private ref byte RamStart => ref MemoryMarshal.GetArrayDataReference(_ram);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private PageFlags Page(uint address) => Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_pages), (int)(address >> PageShift));

    private bool IsRamRange(ulong address, int length)
    {
        var end = address + (ulong)length;
        if (end > (ulong)_ram.Length || end < address)
        {
            return false;
        }

        for (var page = address >> PageShift; page < (end + PageOffsetMask) >> PageShift; page++)
        {
            if ((_pages[page] & PageFlags.Ram) == 0)
            {
                return false;
            }
        }

        return true;
    }

    private void ReportCodeWrites(uint address, int length)
    {
        var done = 0;
        while (done < length)
        {
            var at = address + (uint)done;
            var chunk = Math.Min(length - done, PageSize - (int)(at & PageOffsetMask));
            if ((Page(at) & PageFlags.Code) != 0)
            {
                CodeListener?.OnCodeWrite(at, chunk);
            }

            done += chunk;
        }
    }

    private uint ReadSlow(uint address, AccessWidth width)
    {
        DisturbanceCount++;
        var count = (uint)width;
        if (_regions.Find(address) is { } region && region.ContainsRange(address, count))
        {
            if (region.Device is { } device)
            {
                return device.Read(address, width);
            }

            if (region.Rom is { } rom)
            {
                var offset = (int)(address - region.Start);
                uint romValue = 0;
                for (var i = 0; i < (int)count; i++)
                {
                    romValue |= (uint)rom[offset + i] << (8 * i);
                }

                return romValue;
            }
        }

        if (count == 1)
        {
            return (Page(address) & PageFlags.Ram) != 0 || (address < (uint)_ram.Length && _regions.Find(address) is null)
                ? _ram[address]
                : UnbackedByte;
        }

        uint value = 0;
        for (var i = 0; i < (int)count; i++)
        {
            value |= (uint)ReadByte(address + (uint)i) << (8 * i);
        }

        return value;
    }

    private void WriteSlow(uint address, AccessWidth width, uint value)
    {
        var count = (uint)width;
        var flags = Page(address);
        if ((flags & PageFlags.Ram) != 0 && (address & PageOffsetMask) + count <= PageSize)
        {
            for (var i = 0; i < (int)count; i++)
            {
                _ram[address + (uint)i] = (byte)(value >> (8 * i));
            }

            if ((flags & PageFlags.Code) != 0)
            {
                CodeListener?.OnCodeWrite(address, (int)count);
            }

            return;
        }

        DisturbanceCount++;
        if (_regions.Find(address) is { } region && region.ContainsRange(address, count))
        {
            region.Device?.Write(address, width, value);
            return;
        }

        if (count == 1)
        {
            // A directly read page without the RAM flag is read-only (ROM, or the shadow area's RE/PCI side): the write is dropped.
            if (address < (uint)_ram.Length && _regions.Find(address) is null && (flags & PageFlags.DirectRead) == 0)
            {
                _ram[address] = (byte)value;
            }

            return;
        }

        for (var i = 0; i < (int)count; i++)
        {
            WriteByte(address + (uint)i, (byte)(value >> (8 * i)));
        }
    }

    private static int BelowFourGiB(ulong address, int length) =>
        address >= AddressSpaceSize ? 0 : (int)Math.Min((ulong)length, AddressSpaceSize - address);

    /// <summary>A run inside one page that is not plain RAM, device ranges at the widths <see cref="RunWidth"/> picks.</summary>
    private void ReadSlowRun(uint address, Span<byte> destination)
    {
        var done = 0;
        while (done < destination.Length)
        {
            var at = address + (uint)done;
            var width = RunWidth(at, destination.Length - done);
            var value = ReadSlow(at, width);
            for (var i = 0; i < (int)width; i++)
            {
                destination[done + i] = (byte)(value >> (8 * i));
            }

            done += (int)width;
        }
    }

    private void WriteSlowRun(uint address, ReadOnlySpan<byte> source)
    {
        var done = 0;
        while (done < source.Length)
        {
            var at = address + (uint)done;
            var width = RunWidth(at, source.Length - done);
            uint value = 0;
            for (var i = 0; i < (int)width; i++)
            {
                value |= (uint)source[done + i] << (8 * i);
            }

            WriteSlow(at, width, value);
            done += (int)width;
        }
    }

    /// <summary>
    /// The width of the next access of a run of <paramref name="remaining"/> bytes at <paramref name="address"/>,
    /// as QEMU's memory_access_size splits a buffer for an MMIO region: the largest of 4, 2, 1 that is
    /// naturally aligned, fits the run and stays inside the device's range. Not a device: a byte.
    /// </summary>
    private AccessWidth RunWidth(uint address, int remaining)
    {
        if (remaining < (int)AccessWidth.Word || _regions.Find(address) is not { Device: not null } region)
        {
            return AccessWidth.Byte;
        }

        foreach (var width in (ReadOnlySpan<AccessWidth>)[AccessWidth.Dword, AccessWidth.Word])
        {
            var count = (uint)width;
            if (remaining >= (int)count && (address & (count - 1)) == 0 && region.ContainsRange(address, count))
            {
                return width;
            }
        }

        return AccessWidth.Byte;
    }

    private void SetPages(uint address, uint length, PageFlags flags)
    {
        var last = (uint)((address + (ulong)length - 1) >> PageShift);
        for (var page = address >> PageShift; page <= last; page++)
        {
            ReportRemap(page);
            _pages[page] = flags;
        }
    }

    private static bool IsShadowPage(uint address) => address >= ShadowAreaStart && address < ShadowAreaEnd;

    private static int ShadowIndex(uint address) => (int)((address - ShadowAreaStart) >> PageShift);

    /// <summary>The PCI side of one shadow-area page: the ROM mapped there, or zeros (QEMU's pc.rom and unassigned space read 0).</summary>
    private void ReadPciSide(uint page, Span<byte> destination)
    {
        destination.Clear();
        if (_regions.Find(page) is { Rom: { } rom } region && region.ContainsRange(page, PageSize))
        {
            rom.AsSpan((int)(page - region.Start), PageSize).CopyTo(destination);
        }
    }

    /// <summary>A page whose backing changes (ROM or MMIO mapped over it, or removed) loses its decoded code, as if written.</summary>
    private void ReportRemap(uint page)
    {
        MapListener?.OnPageRemapped(page);
        if ((_pages[page] & PageFlags.Code) != 0)
        {
            CodeListener?.OnCodeWrite(page << PageShift, PageSize);
        }
    }
}
