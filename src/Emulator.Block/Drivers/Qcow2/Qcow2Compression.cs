using System.IO.Compression;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>Compressed clusters: raw deflate (no zlib header), as QEMU writes them with compression type zlib.</summary>
internal static class Qcow2Compression
{
    /// <summary>Inflates exactly <paramref name="destination"/>.Length bytes; false when the data is not a valid stream or ends early.</summary>
    public static bool Decompress(byte[] source, int length, Span<byte> destination)
    {
        try
        {
            using var input = new MemoryStream(source, 0, length, writable: false);
            using var inflate = new DeflateStream(input, CompressionMode.Decompress);
            var total = 0;
            while (total < destination.Length)
            {
                var n = inflate.Read(destination[total..]);
                if (n == 0)
                {
                    return false;
                }

                total += n;
            }

            return true;
        }
        catch (InvalidDataException)
        {
            // Hostile or damaged compressed data is an I/O error for the request, not a host exception.
            return false;
        }
    }

    /// <summary>Deflates <paramref name="source"/> into <paramref name="destination"/>; false when the result would not be smaller than <paramref name="limit"/> bytes.</summary>
    public static bool Compress(ReadOnlySpan<byte> source, byte[] destination, int limit, out int written)
    {
        written = 0;
        using var output = new MemoryStream(destination, 0, destination.Length, writable: true);
        try
        {
            using (var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true))
            {
                deflate.Write(source);
            }
        }
        catch (NotSupportedException)
        {
            // The fixed-size output stream is full: the data does not compress well enough.
            return false;
        }

        written = (int)output.Position;
        return written < limit;
    }
}
