using System.IO.Compression;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>
/// Compressed clusters, in the image's compression type: raw deflate (no zlib header) for zlib, zstd
/// frames for zstd, as QEMU's qcow2-threads.c writes and reads them. The stored length is rounded up
/// to whole sectors, so the decoders stop when the cluster is full and ignore what follows.
/// </summary>
internal static class Qcow2Compression
{
    /// <summary>QEMU compresses with zstd's default level (ZSTD_CLEVEL_DEFAULT).</summary>
    private const int ZstdLevel = 3;

    /// <summary>Decodes exactly <paramref name="destination"/>.Length bytes; false when the data is not a valid stream or ends early.</summary>
    public static bool Decompress(Qcow2CompressionType type, byte[] source, int length, Span<byte> destination) =>
        type == Qcow2CompressionType.Zstd ? DecompressZstd(source.AsSpan(0, length), destination) : Inflate(source, length, destination);

    /// <summary>Encodes <paramref name="source"/> into <paramref name="destination"/>; false when the result would not be smaller than <paramref name="limit"/> bytes.</summary>
    public static bool Compress(Qcow2CompressionType type, ReadOnlySpan<byte> source, byte[] destination, int limit, out int written)
    {
        if (type != Qcow2CompressionType.Zstd)
        {
            return Deflate(source, destination, limit, out written);
        }

        using var compressor = new Compressor(ZstdLevel);
        if (!compressor.TryWrap(source, destination.AsSpan(0, Math.Min(limit, destination.Length)), out written))
        {
            written = 0;
            return false;
        }

        return written < limit;
    }

    private static bool DecompressZstd(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        try
        {
            return DecompressFrames(source, destination);
        }
        catch (ZstdException)
        {
            // Hostile or damaged compressed data is an I/O error for the request, not a host exception.
            return false;
        }
    }

    private static unsafe bool DecompressFrames(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        using var decompressor = new Decompressor();
        var done = 0;
        while (done < destination.Length)
        {
            // One frame at a time: the sector padding after the last frame is not a frame.
            nuint frame;
            fixed (byte* p = source)
            {
                frame = Methods.ZSTD_findFrameCompressedSize(p, (nuint)source.Length);
            }

            if (Methods.ZSTD_isError(frame) || frame == 0 || !decompressor.TryUnwrap(source[..(int)frame], destination[done..], out var written) || written == 0)
            {
                return false;
            }

            done += written;
            source = source[(int)frame..];
        }

        return true;
    }

    private static bool Inflate(byte[] source, int length, Span<byte> destination)
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

    private static bool Deflate(ReadOnlySpan<byte> source, byte[] destination, int limit, out int written)
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
