using System.Buffers.Binary;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.Qcow2;

namespace Emulator.Block.Tests.Drivers.Qcow2;

/// <summary>
/// Every number in an image is hostile: each mutated header or metadata field gives a clear
/// <see cref="BlockOperationException"/> at open, or an I/O error plus the corrupt bit and a
/// BLOCK_IMAGE_CORRUPTED event at use; never a host exception, a hang or an unbounded allocation.
/// The base image (64 KiB clusters): header 0, refcount table 0x10000, refcount block 0x20000,
/// L1 table 0x30000, L2 table 0x40000, data 0x50000.
/// </summary>
public class Qcow2HostileImageTests : Qcow2TestBase
{
    private const int L2Table = 0x40000;

    private string BaseImage()
    {
        var image = Create("h.qcow2", 1 << 20);
        var backend = Open(image);
        backend.Write(0, Random(65536, 1));
        backend.Unref();
        return image;
    }

    private static void Poke(string image, long offset, ReadOnlySpan<byte> bytes)
    {
        using var stream = new FileStream(image, FileMode.Open, FileAccess.Write);
        stream.Position = offset;
        stream.Write(bytes);
    }

    private static void Poke32(string image, long offset, uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        Poke(image, offset, bytes);
    }

    private static void Poke64(string image, long offset, ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        Poke(image, offset, bytes);
    }

    [TestCase(0, 4, 0x12345678UL, "Image is not in qcow2 format")]
    [TestCase(4, 4, 1UL, "Unsupported qcow2 version 1")]
    [TestCase(4, 4, 4UL, "Unsupported qcow2 version 4")]
    [TestCase(20, 4, 8UL, "Unsupported cluster size: 2^8")]
    [TestCase(20, 4, 22UL, "Unsupported cluster size: 2^22")]
    [TestCase(20, 4, 0xFFFFFFFFUL, "Unsupported cluster size")]
    [TestCase(24, 8, 0x7FFF_FFFF_FFFF_FE00UL, "too small for a virtual size")]
    [TestCase(24, 8, 0xFFFF_FFFF_FFFF_FFFFUL, "too small for a virtual size")]
    [TestCase(32, 4, 1UL, "Encrypted qcow2 images are not supported")]
    [TestCase(36, 4, 0xFFFFFFFFUL, "Active L1 table too large")]
    [TestCase(36, 4, 0x100000UL, "The active L1 table (0x30000, 8388608 bytes) lies past the end of the file")]
    [TestCase(40, 8, 0x30001UL, "not aligned to a cluster")]
    [TestCase(40, 8, 0UL, "The active L1 table overlaps the qcow2 header")]
    [TestCase(40, 8, 0x10000UL, "The active L1 table overlaps the refcount table")]
    [TestCase(40, 8, 0x7FFF_FFFF_FFFF_0000UL, "lies past the end of the file")]
    [TestCase(40, 8, 0xFFFF_FFFF_FFFF_0000UL, "lies past the end of the file")]
    [TestCase(48, 8, 0UL, "The refcount table overlaps the qcow2 header")]
    [TestCase(48, 8, 0x990000UL, "The refcount table (0x990000, 65536 bytes) lies past the end of the file")]
    [TestCase(56, 4, 0UL, "Refcount table size of 0 clusters is invalid")]
    [TestCase(56, 4, 0xFFFFFFFFUL, "Refcount table size of 4294967295 clusters is invalid")]
    [TestCase(60, 4, 0xFFFFFFFFUL, "Snapshot table")]
    [TestCase(60, 4, 1UL, "The snapshot table at 0x0 overlaps the qcow2 header")]
    [TestCase(72, 8, 1UL << 5, "Unsupported qcow2 feature(s): Unknown incompatible feature: 20")]
    [TestCase(72, 8, 1UL << 2, "'data-file' is required for this image")]
    [TestCase(88, 8, 1UL << 1, "data-file-raw requires a data file")]
    [TestCase(96, 4, 7UL, "Refcount width 2^7 is invalid")]
    [TestCase(100, 4, 3UL, "qcow2 header length 3 is invalid")]
    [TestCase(100, 4, 0x7FFFFFF8UL, "qcow2 header length 2147483640 is invalid")]
    [TestCase(104, 1, 1UL, "qcow2: Compression type incompatible feature bit must be set")]
    [TestCase(104, 1, 2UL, "qcow2: unknown compression type: 2")]
    [TestCase(72, 8, 1UL << 3, "qcow2: Compression type incompatible feature bit must not be set")]
    [TestCase(8, 8, 0x10UL, "The backing file name lies outside the header cluster")]
    [TestCase(116, 4, 0x7FFFFFFFUL, "header extension 0x6803f857 is 2147483647 bytes, past the end of the header")]
    [TestCase(0x10000, 8, 0x10000UL, "Refcount block 0 at 0x10000 overlaps the refcount table")]
    [TestCase(0x10000, 8, 0x20001UL, "Refcount table entry 0 (0x20001) is not aligned to a cluster")]
    [TestCase(0x10000, 8, 0x30000UL, "Refcount block 0 at 0x30000 overlaps the active L1 table")]
    [TestCase(0x10000, 8, 0x7FFF_0000UL, "Refcount block 0 at 0x7fff0000 lies past the end of the file")]
    public void Open_MutatedHeaderField_RefusedWithClearMessage(int offset, int width, ulong value, string message)
    {
        var image = BaseImage();
        switch (width)
        {
            case 1:
                Poke(image, offset, [(byte)value]);
                break;
            case 4:
                Poke32(image, offset, (uint)value);
                break;
            default:
                Poke64(image, offset, value);
                break;
        }

        Assert.That(() => Open(image), Throws.TypeOf<BlockOperationException>().With.Message.Contains(message));
    }

    [TestCase(0x30000, 0x8000_0000_7FFF_0000UL, "L2 table offset 0x7fff0000 of L1 entry 0 lies past the end of the file")]
    [TestCase(0x30000, 0x8000_0000_0000_0000UL + 0x10000, "L2 table offset 0x10000 of L1 entry 0 overlaps the refcount table")]
    [TestCase(0x30000, 0x8000_0000_0004_0200UL, "is not aligned to a cluster")]
    [TestCase(0x30000, 0x8000_0000_0004_0002UL, "L1 entry 0 (0x8000000000040002) has reserved bits set")]
    [TestCase(L2Table, 0x8000_0000_0005_0200UL, "Cluster allocation offset 0x50200 unaligned")]
    [TestCase(L2Table, 0x8000_0000_0000_0000UL + 0x30000, "Data cluster at 0x30000 overlaps the active L1 table")]
    [TestCase(L2Table, 0x8000_0000_7FFF_0000UL, "Data cluster at 0x7fff0000 lies past the end of the file")]
    [TestCase(L2Table, 0x8000_0000_0005_0000UL | 0x100, "has reserved bits set")]
    [TestCase(L2Table, 0x8000_0000_0004_0000UL, "Data cluster at 0x40000 overlaps an L2 table")]
    [TestCase(L2Table, 0x8000_0000_0002_0000UL, "Data cluster at 0x20000 overlaps a refcount block")]
    [TestCase(0x30000, 0x8000_0000_0002_0000UL, "L2 table offset 0x20000 of L1 entry 0 overlaps a refcount block")]
    [TestCase(L2Table, 0x4000_0000_7FFF_0000UL, "Compressed cluster at 0x7fff0000 lies past the end of the file")]
    public void Read_MutatedMapping_IoErrorCorruptBitAndEvent(long at, ulong entry, string message)
    {
        var image = BaseImage();
        Poke64(image, at, entry);
        var backend = Open(image);

        var error = backend.Read(0, new byte[4096]);

        Assert.That(error, Is.EqualTo(BlockError.Io));
        Assert.That(H.EventsOf<BlockImageCorruptedEvent>().Single().Message, Does.Contain(message));
        Assert.That(backend.IsReadOnly, Is.True);
        backend.Unref();
        Assert.That(() => Open(image), Throws.TypeOf<BlockOperationException>().With.Message.EqualTo("qcow2: Image is corrupt; cannot be opened read/write"));
    }

    [Test]
    public void Read_CorruptCompressedData_IoErrorNoException()
    {
        var image = BaseImage();
        Poke64(image, L2Table, Qcow2Entry.Compressed | 0x50000);
        Poke(image, 0x50000, [0xFF, 0xFF, 0xFF, 0xFF]);
        var backend = Open(image, readOnly: true);

        Assert.That(backend.Read(0, new byte[4096]), Is.EqualTo(BlockError.Io));
    }

    [Test]
    public void Open_ImageIsItsOwnBacking_RefusedAsLoop()
    {
        var image = Create("self.qcow2", 1 << 20, backing: "self.qcow2", backingFormat: "qcow2");

        Assert.That(() => Open(image, readOnly: true), Throws.TypeOf<BlockOperationException>().With.Message.Contains("Backing file chain loops"));
    }

    [Test]
    public void Open_TwoImagesBackingEachOther_RefusedAsLoop()
    {
        Create("a.qcow2", 1 << 20, backing: "b.qcow2");
        Create("b.qcow2", 1 << 20, backing: "a.qcow2");

        Assert.That(() => Open(PathOf("a.qcow2"), readOnly: true), Throws.TypeOf<BlockOperationException>().With.Message.Contains("Backing file chain loops"));
    }

    [Test]
    public void Open_MissingBackingFile_ClearMessage()
    {
        var image = Create("orphan.qcow2", 1 << 20, backing: "gone.raw", backingFormat: "raw");

        Assert.That(() => Open(image, readOnly: true), Throws.TypeOf<BlockOperationException>().With.Message.Contains("gone.raw"));
    }

    [Test]
    public void Open_TruncatedFile_ClearMessage()
    {
        var image = BaseImage();
        using (var stream = new FileStream(image, FileMode.Open, FileAccess.Write))
        {
            stream.SetLength(40);
        }

        Assert.That(() => Open(image), Throws.TypeOf<BlockOperationException>().With.Message.Contains("not in qcow2 format"));
    }

    /// <summary>Found by the image fuzzer (seed 1, image 32608): an overlay cut to 123 bytes names its backing file past the end.</summary>
    [Test]
    public void Open_TruncatedOverlayNamingBackingPastEnd_ClearMessage()
    {
        Create("base.raw.qcow2", 1 << 20);
        var image = Create("cut.qcow2", 1 << 20, backing: "base.raw.qcow2", backingFormat: "qcow2");
        using (var stream = new FileStream(image, FileMode.Open, FileAccess.Write))
        {
            stream.SetLength(123);
        }

        Assert.That(() => Open(image, readOnly: true), Throws.TypeOf<BlockOperationException>().With.Message.Contains("past the end of the header"));
    }

    /// <summary>Random bytes of the metadata clusters mutated with a fixed seed: every image either opens and serves I/O with error values, or is refused with a <see cref="BlockOperationException"/>.</summary>
    [Test]
    public void Mutation_RandomMetadataBytes_OpenOrCleanError()
    {
        var image = BaseImage();
        var pristine = File.ReadAllBytes(image);
        var random = new Random(20261121);
        var outcomes = new Dictionary<string, int>();

        for (var round = 0; round < 400; round++)
        {
            var bytes = (byte[])pristine.Clone();
            for (var k = random.Next(1, 5); k > 0; k--)
            {
                var region = random.Next(5) * 0x10000;
                var at = region + (region == 0 ? random.Next(128) : random.Next(64));
                bytes[at] = (byte)random.Next(256);
            }

            File.WriteAllBytes(image, bytes);
            var outcome = Exercise(image);
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        Assert.That(outcomes.Keys, Is.SubsetOf(new[] { "refused", "ok", "io-error" }));
        Assert.That(outcomes.GetValueOrDefault("refused"), Is.GreaterThan(0));
    }

    private string Exercise(string image)
    {
        BlockBackend backend;
        try
        {
            backend = Open(image);
        }
        catch (BlockOperationException)
        {
            return "refused";
        }

        var buffer = new byte[65536];
        var errors = 0;
        var length = Math.Min(backend.Length, 1 << 20);
        for (var offset = 0L; offset + buffer.Length <= length; offset += buffer.Length)
        {
            errors += backend.Read(offset, buffer) == BlockError.None ? 0 : 1;
        }

        if (length >= buffer.Length)
        {
            errors += backend.Write(0, buffer.AsMemory(0, 512)) == BlockError.None ? 0 : 1;
            errors += backend.Write(length - 4096, buffer.AsMemory(0, 4096)) == BlockError.None ? 0 : 1;
        }

        errors += backend.Flush() == BlockError.None ? 0 : 1;
        backend.Unref();
        return errors == 0 ? "ok" : "io-error";
    }
}
