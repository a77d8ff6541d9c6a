using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Emulator.Cli.Img;

/// <summary>The disk space a host file really uses (st_blocks × 512), for <c>info</c>'s "disk size"/"actual-size". Linux x86-64 struct stat layout.</summary>
internal static partial class HostFileStat
{
    private const int StatSize = 144;
    private const int BlocksField = 64;

    public static long AllocatedBytes(string path)
    {
        var buffer = new byte[StatSize];
        return Stat(path, buffer) == 0 ? BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(BlocksField)) * 512 : 0;
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, byte[] buffer);
}
