using Emulator.Block;
using Emulator.Block.Backend;
using Emulator.Cli.Img;
using Microsoft.Extensions.DependencyInjection;

namespace Emulator.Cli.Tests.Fuzz;

/// <summary>
/// Does with one (hostile) qcow2 image what a user and a guest would: opens it read-only and reads
/// from the start, the end and random places; opens it read-write, discards, zeroes and writes, reading
/// each write back at once and the last one again after closing and reopening; runs <c>emu img info</c>
/// and <c>emu img check</c> (now and then <c>check -r all</c>) in-process. Refusals at open
/// (<see cref="BlockOperationException"/>) and I/O errors are the expected ways to say no; any other
/// exception escapes to the caller. A write acknowledged and read back different is a
/// <see cref="LostWrites"/> finding.
/// </summary>
internal sealed class Qcow2ImageExerciser : IDisposable
{
    private const int MaxRead = 64 * 1024;
    private const int MaxWrite = 24 * 1024;
    private readonly ServiceProvider _services;
    private readonly BlockLayer _layer;

    public Qcow2ImageExerciser()
    {
        _services = new ServiceCollection().AddBlockLayer().AddStandardBlockDrivers().BuildServiceProvider();
        _layer = _services.GetRequiredService<BlockLayer>();
    }

    /// <summary>Images refused at open (read-only), opened, and how many write-and-read-back checks ran.</summary>
    public int Refused { get; private set; }

    public int Opened { get; private set; }

    public int WritesVerified { get; private set; }

    public List<string> LostWrites { get; } = [];

    public void Exercise(string path, Random random)
    {
        ReadOnlyPass(path, random);
        var last = ReadWritePass(path, random);
        if (last is { } write)
        {
            VerifyAfterReopen(path, write.Offset, write.Data);
        }

        Img("info", "--output=json", path);
        Img("check", path);
        if (random.Next(4) == 0)
        {
            Img("check", "-r", "all", path);
            ReadOnlyPass(path, random);
        }
    }

    public void Dispose() => _services.Dispose();

    private static void Img(params string[] args) => ImgCommand.Run(args, TextWriter.Null, TextWriter.Null);

    private BlockBackend? Open(string path, bool readOnly)
    {
        try
        {
            return _layer.OpenImage(new BlockBackendOptions { ReadOnly = readOnly }, path, "qcow2");
        }
        catch (BlockOperationException e) when (e.Message.Length > 0)
        {
            return null;
        }
    }

    private void ReadOnlyPass(string path, Random random)
    {
        var backend = Open(path, readOnly: true);
        if (backend is null)
        {
            Refused++;
            return;
        }

        Opened++;
        var length = backend.Length;
        var buffer = new byte[MaxRead];
        for (var i = 0; i < 8 && length > 0; i++)
        {
            var size = (int)Math.Min(length, random.Next(1, MaxRead + 1));
            var offset = i switch
            {
                0 => 0,
                1 => length - size,
                _ => random.NextInt64(length - size + 1),
            };
            backend.Read(offset, buffer.AsMemory(0, size));
        }

        backend.Unref();
    }

    private (long Offset, byte[] Data)? ReadWritePass(string path, Random random)
    {
        var backend = Open(path, readOnly: false);
        if (backend is null)
        {
            return null;
        }

        var length = backend.Length;
        (long, byte[])? last = null;
        if (length >= 4096)
        {
            backend.Discard(random.NextInt64(length / 2), random.Next(1, 128 * 1024));
            backend.WriteZeroes(random.NextInt64(length / 2), random.Next(1, 128 * 1024));
            for (var i = 0; i < 3; i++)
            {
                var size = (int)Math.Min(length, random.Next(1, MaxWrite + 1));
                var offset = random.NextInt64(length - size + 1);
                var data = new byte[size];
                random.NextBytes(data);
                if (backend.Write(offset, data) != BlockError.None)
                {
                    // A failed write may have changed part of its range, which may overlap the last good one.
                    last = null;
                    continue;
                }

                var back = new byte[size];
                if (backend.Read(offset, back) == BlockError.None)
                {
                    WritesVerified++;
                    Expect(back, data, $"write of {size} bytes at {offset} read back in the same session");
                    last = (offset, data);
                }
            }

            if (backend.Flush() != BlockError.None)
            {
                last = null;
            }
        }

        backend.Unref();
        return last;
    }

    private void VerifyAfterReopen(string path, long offset, byte[] data)
    {
        var backend = Open(path, readOnly: true);
        if (backend is null)
        {
            return;
        }

        var back = new byte[data.Length];
        if (backend.Read(offset, back) == BlockError.None)
        {
            WritesVerified++;
            Expect(back, data, $"flushed write of {data.Length} bytes at {offset} read back after reopening");
        }

        backend.Unref();
    }

    private void Expect(byte[] actual, byte[] expected, string what)
    {
        if (!actual.AsSpan().SequenceEqual(expected))
        {
            LostWrites.Add($"{what}: first difference at byte {actual.AsSpan().CommonPrefixLength(expected)}");
        }
    }
}
