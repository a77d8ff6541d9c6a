using System.Runtime.InteropServices;

namespace Emulator.Machine.Cpu;

/// <summary>
/// One set of the <see cref="AccessTlb"/>: the linear page a read, and a write, may take straight to RAM (or
/// <see cref="AccessTlb.Invalid"/>), and what to add to a linear address in that page for its index in the RAM array.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
internal struct AccessEntry
{
    public static readonly AccessEntry Empty = new() { ReadTag = AccessTlb.Invalid, WriteTag = AccessTlb.Invalid };

    public uint ReadTag;
    public uint WriteTag;
    public uint Addend;
}
