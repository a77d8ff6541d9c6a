using Emulator.Cli.Img;

namespace Emulator.Cli.Tests.Fuzz;

/// <summary>
/// Valid qcow2 images for <see cref="Qcow2Mutator"/> to start from: written by Debian's qemu-img and
/// qemu-io (every structure the mutator knows appears in at least one: data and zero clusters,
/// 512-byte and 64 KiB clusters, 1- to 64-bit refcounts, version 2, internal snapshots, a persistent
/// dirty bitmap with its table, compressed clusters, a backing file name) and by our own
/// <c>emu img create</c>. The backing file <see cref="BaseName"/> lies beside them, so a mutated
/// overlay placed in the same folder finds it.
/// </summary>
internal sealed class Qcow2FuzzSeeds
{
    public const string BaseName = "base.qcow2";

    private Qcow2FuzzSeeds(IReadOnlyList<(string Name, byte[] Bytes)> images) => Images = images;

    public IReadOnlyList<(string Name, byte[] Bytes)> Images { get; }

    /// <summary>Writes the seeds into <paramref name="folder"/> (which keeps <see cref="BaseName"/>) and reads them back.</summary>
    public static Qcow2FuzzSeeds Create(string folder)
    {
        var names = new List<string>();
        string Make(string name, string options, string size, params string[] io)
        {
            var path = Path.Combine(folder, name);
            QemuTools.Img("create", "-q", "-f", "qcow2", "-o", options, path, size);
            if (io.Length > 0)
            {
                QemuTools.Io(path, io);
            }

            names.Add(name);
            return path;
        }

        Make("small-clusters.qcow2", "cluster_size=4096", "2M", "write -P 0xaa 0 12k", "write -P 0xbb 1M 4k", "write -z 1536k 8k", "write -P 0xcc 2044k 4k");
        Make("tiny-clusters-8bit.qcow2", "cluster_size=512,refcount_bits=8", "1M", "write -P 0x11 0 3k", "write -P 0x12 700k 1536");
        Make("one-bit-refcounts.qcow2", "cluster_size=4096,refcount_bits=1", "1M", "write -P 0x21 4k 20k");
        Make("wide-refcounts.qcow2", "cluster_size=4096,refcount_bits=64,lazy_refcounts=on", "1M", "write -P 0x31 0 8k");
        Make("large-clusters.qcow2", "cluster_size=65536", "4M", "write -P 0x41 0 64k", "write -P 0x42 3M 1k");
        Make("version2.qcow2", "cluster_size=4096,compat=0.10", "1M", "write -P 0x51 8k 8k", "write -z 64k 4k");

        var snapshots = Make("snapshots.qcow2", "cluster_size=4096", "1M", "write -P 0x61 0 16k");
        QemuTools.Img("snapshot", "-c", "first", snapshots);
        QemuTools.Io(snapshots, "write -P 0x62 4k 8k");
        QemuTools.Img("snapshot", "-c", "second", snapshots);

        var bitmap = Make("bitmap.qcow2", "cluster_size=4096", "1M");
        QemuTools.Img("bitmap", "--add", "--granularity", "4096", bitmap, "dirty");
        QemuTools.Io(bitmap, "write -P 0x71 0 8k", "write -P 0x72 512k 4k");

        var text = Path.Combine(folder, "compressible.raw");
        File.WriteAllBytes(text, [.. Enumerable.Range(0, 256 * 1024).Select(i => (byte)('a' + ((i / 7) % 26)))]);
        QemuTools.Img("convert", "-c", "-f", "raw", "-O", "qcow2", "-o", "cluster_size=4096", text, Path.Combine(folder, "compressed.qcow2"));
        File.Delete(text);
        names.Add("compressed.qcow2");

        Make(BaseName, "cluster_size=4096", "1M", "write -P 0x81 0 64k");
        names.Remove(BaseName);
        var overlay = Path.Combine(folder, "overlay.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", "-b", BaseName, "-F", "qcow2", overlay);
        QemuTools.Io(overlay, "write -P 0x82 4k 4k");
        names.Add("overlay.qcow2");

        var ours = Path.Combine(folder, "emu-created.qcow2");
        var stderr = new StringWriter();
        if (ImgCommand.Run(["create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", ours, "1M"], TextWriter.Null, stderr) != 0)
        {
            throw new InvalidOperationException($"emu img create failed: {stderr}");
        }

        QemuTools.Io(ours, "write -P 0x91 0 8k", "write -P 0x92 900k 4k");
        names.Add("emu-created.qcow2");

        return new Qcow2FuzzSeeds([.. names.Select(name => (name, File.ReadAllBytes(Path.Combine(folder, name))))]);
    }
}
