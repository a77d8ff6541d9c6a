using System.Runtime.InteropServices;
using Emulator.Machine.Bus;
using Emulator.Machine.Memory;
using Iced.Intel;

namespace Emulator.Machine.Cpu;

/// <summary>
/// String instructions (MOVS CMPS SCAS LODS STOS INS OUTS) with REP/REPE/REPNE, and IN/OUT.
/// The source segment honours overrides, the destination is always ES; the address size picks
/// SI/DI/CX or ESI/EDI/ECX. A REP run executes as one step: a fault part-way leaves the registers
/// at the failing element, so the instruction restarts where it stopped, as on the hardware.
/// <c>REP INS</c>/<c>REP OUTS</c> with DF clear and the whole run inside ES (or the source segment)
/// without wrapping move one block through <see cref="IoPortBus.ReadBlock"/>/<see cref="IoPortBus.WriteBlock"/>;
/// <c>REP MOVS</c>/<c>REP STOS</c> with DF clear copy or fill page by page straight in RAM where every element
/// would have taken the RAM fast path (<see cref="TryMoveInRam"/>).
/// </summary>
internal sealed class StringUnit(ExecutionCore core)
{
    private const int BlockChunk = 64 * 1024;

    /// <summary>
    /// Iterations of a REP run per step. After this many the instruction re-executes from its first
    /// prefix, as the hardware does when it takes an interrupt mid-string, so a long copy neither
    /// delays interrupts nor counts as a single instruction for the machine's virtual clock.
    /// </summary>
    private const int IterationsPerStep = 4096;

    private byte[] _block = new byte[4096];

    public bool Execute(ref DecodedInstruction d)
    {
        if (d.Op is Op.Ins or Op.Outs && !core.RequireIoPermission((ushort)core.Reg(CpuRegisters.Edx), d.Size))
        {
            return false;
        }

        var repeat = d.Instr.HasRepPrefix || d.Instr.HasRepnePrefix;
        if (!repeat)
        {
            return Element(ref d);
        }

        var mask = d.AddrMask;
        ref var ecx = ref core.Reg(CpuRegisters.Ecx);
        if (d.Op is Op.Ins or Op.Outs && (core.R.Flags & Eflags.Direction) == 0 && TryBlockIo(ref d))
        {
            return true;
        }

        var conditional = d.Op is Op.Cmps or Op.Scas;
        var stopOnZero = d.Instr.HasRepnePrefix;
        var inRam = d.Op is Op.Movs or Op.Stos && (core.R.Flags & Eflags.Direction) == 0;
        for (var budget = IterationsPerStep; (ecx & mask) != 0; budget--)
        {
            if (budget == 0)
            {
                core.R.EIP = (core.R.EIP - d.Length) & core.IpMask;
                return true;
            }

            if (inRam && TryMoveInRam(ref d, (uint)budget) is var moved and > 0)
            {
                // The loop's own decrement counts the last of them.
                budget -= (int)moved - 1;
                continue;
            }

            if (!Element(ref d))
            {
                return false;
            }

            ecx = (ecx & ~mask) | ((ecx - 1) & mask);
            if (conditional && ((core.R.Flags & Eflags.Zero) != 0) == stopOnZero)
            {
                break;
            }
        }

        return true;
    }

    public bool In(ref DecodedInstruction d)
    {
        var port = d.Instr.Op1Kind == OpKind.Register ? (ushort)core.Reg(CpuRegisters.Edx) : (ushort)d.Imm;
        if (!core.RequireIoPermission(port, d.Size))
        {
            return false;
        }

        core.WriteReg(CpuRegisters.Eax, 0, d.Size, core.Ports.Read(port, (PortWidth)d.Size));
        return true;
    }

    public bool Out(ref DecodedInstruction d)
    {
        var port = d.Instr.Op0Kind == OpKind.Register ? (ushort)core.Reg(CpuRegisters.Edx) : (ushort)d.Imm;
        if (!core.RequireIoPermission(port, d.Size))
        {
            return false;
        }

        core.Ports.Write(port, (PortWidth)d.Size, core.ReadReg(CpuRegisters.Eax, 0, d.Size));
        return true;
    }

    /// <summary>One element; the index registers advance only after its accesses succeeded.</summary>
    private bool Element(ref DecodedInstruction d)
    {
        int size = d.Size;
        var mask = d.AddrMask;
        var step = (core.R.Flags & Eflags.Direction) != 0 ? (uint)-size : (uint)size;
        ref var esi = ref core.Reg(CpuRegisters.Esi);
        ref var edi = ref core.Reg(CpuRegisters.Edi);
        switch (d.Op)
        {
            case Op.Movs:
            {
                if (!core.TryRead(d.Seg, esi & mask, size, out var value) || !core.TryWrite(ExecutionCore.Es, edi & mask, size, value))
                {
                    return false;
                }

                Advance(ref esi, step, mask);
                Advance(ref edi, step, mask);
                return true;
            }

            case Op.Cmps:
            {
                if (!core.TryRead(d.Seg, esi & mask, size, out var a) || !core.TryRead(ExecutionCore.Es, edi & mask, size, out var b))
                {
                    return false;
                }

                var flags = core.R.Flags;
                Alu.Sub(a, b, 0, size, ref flags);
                core.R.Flags = flags;
                Advance(ref esi, step, mask);
                Advance(ref edi, step, mask);
                return true;
            }

            case Op.Scas:
            {
                if (!core.TryRead(ExecutionCore.Es, edi & mask, size, out var b))
                {
                    return false;
                }

                var flags = core.R.Flags;
                Alu.Sub(core.ReadReg(CpuRegisters.Eax, 0, size), b, 0, size, ref flags);
                core.R.Flags = flags;
                Advance(ref edi, step, mask);
                return true;
            }

            case Op.Lods:
            {
                if (!core.TryRead(d.Seg, esi & mask, size, out var value))
                {
                    return false;
                }

                core.WriteReg(CpuRegisters.Eax, 0, size, value);
                Advance(ref esi, step, mask);
                return true;
            }

            case Op.Stos:
            {
                if (!core.TryWrite(ExecutionCore.Es, edi & mask, size, core.ReadReg(CpuRegisters.Eax, 0, size)))
                {
                    return false;
                }

                Advance(ref edi, step, mask);
                return true;
            }

            case Op.Ins:
            {
                // The destination is checked before the port is read, so a fault does not consume input.
                if (!core.TryLinear(ExecutionCore.Es, edi & mask, size, out var linear) || !core.Mmu.TryCheckWrite(linear, size))
                {
                    return false;
                }

                if (!core.Mmu.TryWrite(linear, size, core.Ports.Read((ushort)core.Reg(CpuRegisters.Edx), (PortWidth)size)))
                {
                    return false;
                }

                Advance(ref edi, step, mask);
                return true;
            }

            default:
            {
                if (!core.TryRead(d.Seg, esi & mask, size, out var value))
                {
                    return false;
                }

                core.Ports.Write((ushort)core.Reg(CpuRegisters.Edx), (PortWidth)size, value);
                Advance(ref esi, step, mask);
                return true;
            }
        }
    }

    /// <summary>
    /// Up to <paramref name="most"/> elements of an upward REP MOVS/STOS at once, as many as stay inside the
    /// current source and destination pages, the segment limits and the address size: when both pages translate
    /// without a fault and the element path would have read the source straight from RAM or ROM and written the
    /// destination straight to RAM (no MMIO, no page holding decoded code), the bytes move with one copy or fill
    /// and the registers advance as after that many elements. A destination that starts inside the source run
    /// (the forward overlap whose element order replicates a pattern) is left to the element path. Returns the
    /// elements done; 0 leaves the next one to <see cref="Element"/> (which also faults precisely).
    /// </summary>
    private uint TryMoveInRam(ref DecodedInstruction d, uint most)
    {
        int size = d.Size;
        var mask = d.AddrMask;
        ref var ecx = ref core.Reg(CpuRegisters.Ecx);
        ref var edi = ref core.Reg(CpuRegisters.Edi);
        ref var esi = ref core.Reg(CpuRegisters.Esi);
        var count = Math.Min(most, ecx & mask);
        if (!TryRun(ExecutionCore.Es, edi & mask, size, mask, ref count, out var destinationLinear))
        {
            return 0;
        }

        var move = d.Op == Op.Movs;
        var sourceLinear = 0u;
        if (move && !TryRun(d.Seg, esi & mask, size, mask, ref count, out sourceLinear))
        {
            return 0;
        }

        var bytes = (int)count * size;
        var mmu = core.Mmu;
        var memory = mmu.Physical;
        if (!mmu.TryProbePhysical(destinationLinear, true, out var destination)
            || !memory.TryGetDirect(destination, bytes, true, out var target))
        {
            return 0;
        }

        if (move)
        {
            if (!mmu.TryProbePhysical(sourceLinear, false, out var source)
                || (destination > source && destination < source + (uint)bytes)
                || !memory.TryGetDirect(source, bytes, false, out var from))
            {
                return 0;
            }

            from.CopyTo(target);
            Advance(ref esi, (uint)bytes, mask);
        }
        else
        {
            var value = core.ReadReg(CpuRegisters.Eax, 0, size);
            switch (size)
            {
                case 1:
                    target.Fill((byte)value);
                    break;
                case 2:
                    MemoryMarshal.Cast<byte, ushort>(target).Fill((ushort)value);
                    break;
                default:
                    MemoryMarshal.Cast<byte, uint>(target).Fill(value);
                    break;
            }
        }

        Advance(ref edi, (uint)bytes, mask);
        ecx = (ecx & ~mask) | ((ecx - count) & mask);
        return count;
    }

    /// <summary>
    /// Narrows <paramref name="count"/> elements from <paramref name="offset"/> in <paramref name="segment"/> to those
    /// inside its limit, the address size and the page of the first; false when not even one whole element fits.
    /// </summary>
    private bool TryRun(int segment, uint offset, int size, uint mask, ref uint count, out uint linear)
    {
        ref var s = ref core.Seg[segment];
        linear = s.Base + offset;
        var inPage = (GuestMemory.PageSize - (linear & GuestMemory.PageOffsetMask)) / (uint)size;
        var inSegment = ((ulong)Math.Min(s.Limit, mask) + 1 - offset) / (uint)size;
        count = (uint)Math.Min(Math.Min(count, inPage), offset > Math.Min(s.Limit, mask) ? 0 : inSegment);
        return count > 0;
    }

    /// <summary>
    /// The block fast path for REP INS/OUTS; false when the run would wrap, leave the segment or touch
    /// a page that does not translate (the element loop then faults precisely).
    /// </summary>
    private bool TryBlockIo(ref DecodedInstruction d)
    {
        int size = d.Size;
        var mask = d.AddrMask;
        ref var ecx = ref core.Reg(CpuRegisters.Ecx);
        var input = d.Op == Op.Ins;
        ref var index = ref core.Reg(input ? CpuRegisters.Edi : CpuRegisters.Esi);
        var segment = input ? ExecutionCore.Es : d.Seg;
        var count = (ulong)(ecx & mask);
        var bytes = count * (ulong)size;
        var start = index & mask;
        var limit = core.Seg[segment].Limit;
        var linear = core.Seg[segment].Base + start;
        if (bytes == 0 || start + bytes - 1 > limit || start + bytes - 1 > mask || !core.Mmu.Probe(linear, bytes, input))
        {
            return false;
        }

        var port = (ushort)core.Reg(CpuRegisters.Edx);
        var done = 0UL;
        while (done < bytes)
        {
            var chunk = (int)Math.Min(bytes - done, BlockChunk);
            if (_block.Length < chunk)
            {
                _block = new byte[BlockChunk];
            }

            var span = _block.AsSpan(0, chunk);
            if (input)
            {
                core.Ports.ReadBlock(port, (PortWidth)size, span);
                core.Mmu.WriteBlock(linear + (uint)done, span);
            }
            else
            {
                core.Mmu.ReadBlock(linear + (uint)done, span);
                core.Ports.WriteBlock(port, (PortWidth)size, span);
            }

            done += (ulong)chunk;
        }

        index = (index & ~mask) | ((uint)(start + bytes) & mask);
        ecx &= ~mask;
        return true;
    }

    private static void Advance(ref uint register, uint step, uint mask) => register = (register & ~mask) | ((register + step) & mask);
}
