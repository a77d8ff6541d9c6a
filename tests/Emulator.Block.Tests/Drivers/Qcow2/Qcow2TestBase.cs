using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.Qcow2;
using Emulator.Block.Graph;
using Emulator.Block.Tests.Support;

namespace Emulator.Block.Tests.Drivers.Qcow2;

/// <summary>A block layer and a temp folder per test, with helpers to create, open, read and compare qcow2 images.</summary>
public abstract class Qcow2TestBase
{
    private protected BlockHarness H { get; private set; } = null!;

    [SetUp]
    public void SetUpHarness() => H = new BlockHarness();

    [TearDown]
    public void TearDownHarness() => H.Dispose();

    protected string PathOf(string name) => Path.Combine(H.TempDir, name);

    protected string Create(string name, long size, int clusterSize = 65536, int version = 3, string? backing = null, string? backingFormat = null, int refcountBits = 16)
    {
        var path = PathOf(name);
        Qcow2Creator.Create(path, new Qcow2CreateOptions
        {
            Size = size,
            ClusterSize = clusterSize,
            Version = version,
            BackingFile = backing,
            BackingFormat = backingFormat,
            RefcountBits = refcountBits,
        });
        return path;
    }

    /// <summary>Opens a qcow2 backend; <paramref name="locking"/> off lets the test read the file while it is open.</summary>
    protected BlockBackend Open(string path, bool readOnly = false, bool locking = true) =>
        H.Layer.CreateBackend(
            new BlockBackendOptions(),
            new Qcow2NodeOptions(new FileNodeOptions(path) { ReadOnly = readOnly, Locking = locking ? FileLockMode.On : FileLockMode.Off }) { ReadOnly = readOnly });

    protected BlockDriverState OpenNode(string path, bool readOnly = false, bool locking = true) =>
        H.Layer.Graph.Open(new Qcow2NodeOptions(new FileNodeOptions(path) { ReadOnly = readOnly, Locking = locking ? FileLockMode.On : FileLockMode.Off }) { ReadOnly = readOnly });

    protected static byte[] ReadAll(BlockBackend backend)
    {
        var data = new byte[backend.Length];
        Assert.That(backend.Read(0, data), Is.EqualTo(BlockError.None));
        return data;
    }

    /// <summary>The guest view of an image as qemu-img sees it.</summary>
    protected byte[] QemuRawView(string image, string format = "qcow2")
    {
        var raw = PathOf($"view-{Guid.NewGuid():N}.raw");
        QemuTools.Img("convert", "-f", format, "-O", "raw", image, raw);
        var bytes = File.ReadAllBytes(raw);
        File.Delete(raw);
        return bytes;
    }

    protected static BlockError Wait(ValueTask<BlockError> operation) =>
        operation.IsCompleted ? operation.Result : operation.AsTask().GetAwaiter().GetResult();

    protected static byte[] Random(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Asserts two buffers are equal, naming the first differing offset instead of dumping megabytes.</summary>
    protected static void AssertSameBytes(byte[] actual, byte[] expected)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length));
        var mismatch = actual.AsSpan().CommonPrefixLength(expected);
        Assert.That(mismatch, Is.EqualTo(expected.Length), $"first difference at byte {mismatch}");
    }
}
