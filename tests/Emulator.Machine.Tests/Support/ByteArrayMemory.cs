using Emulator.Machine.Memory;

namespace Emulator.Machine.Tests.Support;

/// <summary>Flat guest RAM for chip tests: a byte array from address 0.</summary>
internal sealed class ByteArrayMemory(int size) : IDmaMemory
{
    public byte[] Bytes { get; } = new byte[size];

    public bool TryRead(ulong address, Span<byte> destination)
    {
        if (address > (ulong)Bytes.Length || (ulong)destination.Length > (ulong)Bytes.Length - address)
        {
            return false;
        }

        Bytes.AsSpan((int)address, destination.Length).CopyTo(destination);
        return true;
    }

    public bool TryWrite(ulong address, ReadOnlySpan<byte> source)
    {
        if (address > (ulong)Bytes.Length || (ulong)source.Length > (ulong)Bytes.Length - address)
        {
            return false;
        }

        source.CopyTo(Bytes.AsSpan((int)address));
        return true;
    }
}
