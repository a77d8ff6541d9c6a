using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.TestSupport;

/// <summary>
/// The side-by-side virtio-blk guest (issue #17): a boot sector that finds the first virtio-blk PCI
/// function (1AF4:1001) through configuration mechanism 1, drives it through the legacy interface
/// (BAR 0) with interrupts suppressed, and reads 64 KiB requests at queue depth 1 — header, one
/// 64 KiB data descriptor, status — polling the used ring, cycling over the first
/// <see cref="ChunkCountOffset"/> chunks of the disk. Then it writes its result to isa-debug-exit
/// (0x501): 0 when every request succeeded (QEMU's and emu's exit status 1), 1 when no device was
/// found (status 3), 2 when a request failed (status 5), and halts. The same bytes boot under the
/// reference QEMU, under <c>emu boot</c>, and run in benchmarks/…/VirtioGuestReadBenchmarks.cs and the dotnet-tools test.
/// </summary>
public static class VirtioReadGuest
{
    public const int RequestBytes = 64 * 1024;
    public const uint LoadAddress = 0x7C00;

    /// <summary>Offset in the sector of the request count (dword).</summary>
    public const int RequestCountOffset = 0x1F0;

    /// <summary>Offset in the sector of the number of 64 KiB chunks read before wrapping (dword).</summary>
    public const int ChunkCountOffset = 0x1F4;

    /// <summary>Guest-physical address of the 64 KiB data buffer.</summary>
    public const uint DataAddress = 0x2_0000;

    public const byte ExitPassed = 0;
    public const byte ExitNoDevice = 1;
    public const byte ExitRequestFailed = 2;

    public const ushort DebugExitPort = 0x501;
    private const ushort PciAddressPort = 0xCF8;
    private const ushort PciDataPort = 0xCFC;
    private const uint PciEnable = 0x8000_0000;
    private const uint PciDeviceStride = 0x800;
    private const uint PciBus0End = 0x8001_0000;
    private const uint VirtioBlkLegacyId = 0x1001_1AF4;
    private const int PciCommand = 0x04;
    private const int PciBar0 = 0x10;
    private const ushort CommandIoAndBusMaster = 0x5;
    private const ushort BarIoMask = 0xFFFC;

    // Legacy virtio-pci registers (virtio 1.x, 4.1.4.8).
    private const int GuestFeatures = 0x04;
    private const int QueuePfn = 0x08;
    private const int QueueSize = 0x0C;
    private const int QueueSelect = 0x0E;
    private const int QueueNotify = 0x10;
    private const int DeviceStatus = 0x12;
    private const byte StatusAcknowledgeDriver = 0x3;
    private const byte StatusDriverOk = 0x7;

    // Guest memory: the request header and status byte, the loop's chunk index, the rings.
    private const uint Header = 0x7000;
    private const uint StatusByte = 0x7010;
    private const uint ChunkIndex = 0x7020;
    private const ushort RingSegment = 0x8000;
    private const uint RingPfn = 0x80;
    private const int RingClearWords = 0x4000;
    private const int SectorsPerChunk = RequestBytes / 512;
    private const ushort DescNext = 1;
    private const ushort DescWrite = 2;
    private const ushort AvailNoInterrupt = 1;
    private const byte StatusPending = 0xFF;

    /// <summary>
    /// The boot sector reading <paramref name="requests"/> × 64 KiB, over <paramref name="chunks"/> chunks; the
    /// result goes to <paramref name="resultPort"/> (a machine run again and again passes a port that does not
    /// end it).
    /// </summary>
    public static byte[] BootSector(uint requests, uint chunks, ushort resultPort = DebugExitPort)
    {
        var a = new Assembler(16);
        var scan = a.CreateLabel();
        var found = a.CreateLabel();
        var loop = a.CreateLabel();
        var wait = a.CreateLabel();
        var noWrap = a.CreateLabel();
        var fail = a.CreateLabel();
        var exit = a.CreateLabel();
        var spin = a.CreateLabel();

        a.cli();
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(ss, ax);
        a.mov(sp, (ushort)LoadAddress);

        // Find the device: bus 0, function 0 of each slot.
        a.mov(ebx, PciEnable);
        a.Label(ref scan);
        a.mov(eax, ebx);
        a.mov(dx, PciAddressPort);
        a.@out(dx, eax);
        a.mov(dx, PciDataPort);
        a.@in(eax, dx);
        a.cmp(eax, VirtioBlkLegacyId);
        a.je(found);
        a.add(ebx, PciDeviceStride);
        a.cmp(ebx, PciBus0End);
        a.jb(scan);
        a.mov(al, ExitNoDevice);
        a.jmp(exit);

        a.Label(ref found);
        a.lea(eax, __[ebx + PciCommand]);
        a.mov(dx, PciAddressPort);
        a.@out(dx, eax);
        a.mov(dx, PciDataPort);
        a.@in(ax, dx);
        a.or(ax, CommandIoAndBusMaster);
        a.@out(dx, ax);
        a.lea(eax, __[ebx + PciBar0]);
        a.mov(dx, PciAddressPort);
        a.@out(dx, eax);
        a.mov(dx, PciDataPort);
        a.@in(eax, dx);
        a.and(ax, BarIoMask);
        a.movzx(ebp, ax);

        // Reset, acknowledge, no features, queue 0 at RingPfn, driver OK.
        a.lea(dx, __[bp + DeviceStatus]);
        a.xor(al, al);
        a.@out(dx, al);
        a.mov(al, StatusAcknowledgeDriver);
        a.@out(dx, al);
        a.lea(dx, __[bp + GuestFeatures]);
        a.xor(eax, eax);
        a.@out(dx, eax);
        a.lea(dx, __[bp + QueueSelect]);
        a.@out(dx, ax);
        a.lea(dx, __[bp + QueueSize]);
        a.@in(ax, dx);
        a.movzx(esi, ax);
        a.mov(ax, RingSegment);
        a.mov(es, ax);
        a.xor(di, di);
        a.mov(cx, RingClearWords);
        a.xor(ax, ax);
        a.rep.stosw();
        a.lea(dx, __[bp + QueuePfn]);
        a.mov(eax, RingPfn);
        a.@out(dx, eax);
        a.lea(dx, __[bp + DeviceStatus]);
        a.mov(al, StatusDriverOk);
        a.@out(dx, al);

        // Ring layout (legacy, 4 KiB alignment): avail at 16·N, used at align(18·N + 6).
        a.mov(edi, esi);
        a.shl(edi, 4);
        a.lea(ebx, __[esi + esi * 8]);
        a.lea(ebx, __[ebx * 2 + 6 + 0xFFF]);
        a.and(ebx, 0xF000);
        a.dec(esi);
        a.mov(__word_ptr.es[edi], AvailNoInterrupt);

        // One chain: header (device reads), 64 KiB data (device writes), status (device writes).
        WriteDescriptor(a, 0, Header, 16, DescNext, 1);
        WriteDescriptor(a, 1, DataAddress, RequestBytes, DescNext | DescWrite, 2);
        WriteDescriptor(a, 2, StatusByte, 1, DescWrite, 0);
        a.mov(__dword_ptr[Header], 0);
        a.mov(__dword_ptr[Header + 4], 0);
        a.mov(__dword_ptr[Header + 12], 0);
        a.mov(__dword_ptr[ChunkIndex], 0);
        a.mov(ecx, __dword_ptr[LoadAddress + RequestCountOffset]);

        a.Label(ref loop);
        a.mov(eax, __dword_ptr[ChunkIndex]);
        a.shl(eax, 7);
        a.mov(__dword_ptr[Header + 8], eax);
        a.mov(__byte_ptr[StatusByte], StatusPending);
        a.movzx(eax, __word_ptr.es[edi + 2]);
        a.and(eax, esi);
        a.mov(__word_ptr.es[edi + eax * 2 + 4], 0);
        a.inc(__word_ptr.es[edi + 2]);
        a.lea(dx, __[bp + QueueNotify]);
        a.xor(ax, ax);
        a.@out(dx, ax);
        a.mov(ax, __word_ptr.es[edi + 2]);
        a.Label(ref wait);
        a.cmp(ax, __word_ptr.es[ebx + 2]);
        a.jne(wait);
        a.cmp(__byte_ptr[StatusByte], 0);
        a.jne(fail);
        a.mov(eax, __dword_ptr[ChunkIndex]);
        a.inc(eax);
        a.cmp(eax, __dword_ptr[LoadAddress + ChunkCountOffset]);
        a.jb(noWrap);
        a.xor(eax, eax);
        a.Label(ref noWrap);
        a.mov(__dword_ptr[ChunkIndex], eax);
        a.dec(ecx);
        a.jnz(loop);
        a.mov(al, ExitPassed);
        a.jmp(exit);

        a.Label(ref fail);
        a.mov(al, ExitRequestFailed);
        a.Label(ref exit);
        a.mov(dx, resultPort);
        a.@out(dx, al);
        a.Label(ref spin);
        a.hlt();
        a.jmp(spin);

        using var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), LoadAddress);
        var code = stream.ToArray();
        if (code.Length > RequestCountOffset)
        {
            throw new InvalidOperationException($"The virtio guest is {code.Length} bytes; it must end before 0x{RequestCountOffset:X}.");
        }

        var sector = new byte[512];
        code.CopyTo(sector, 0);
        BitConverter.TryWriteBytes(sector.AsSpan(RequestCountOffset), requests);
        BitConverter.TryWriteBytes(sector.AsSpan(ChunkCountOffset), chunks);
        sector[510] = 0x55;
        sector[511] = 0xAA;
        return sector;
    }

    private static void WriteDescriptor(Assembler a, int index, uint address, uint length, ushort flags, ushort next)
    {
        var at = (uint)(index * 16);
        a.mov(__dword_ptr.es[at], address);
        a.mov(__dword_ptr.es[at + 4], 0);
        a.mov(__dword_ptr.es[at + 8], length);
        a.mov(__word_ptr.es[at + 12], flags);
        a.mov(__word_ptr.es[at + 14], next);
    }
}
