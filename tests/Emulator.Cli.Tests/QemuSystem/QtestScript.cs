using System.Buffers.Binary;
using System.Text;
namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>
/// A qtest conversation kept as data (QemuSystem/Scripts/*.qtest), so one harness drives ours and a
/// reference QEMU alike. Format, one item a line: <c># comment</c>; <c>@args …</c> the machine's
/// options, where <c>{disk}</c> is a 1 MiB raw image whose byte at offset O is (O / 512 + O) mod 256
/// , <c>{floppy}</c> a zeroed 1.44 MB image and <c>{mbr-disk}</c> a sparse 30 MiB image whose MBR has
/// hd-geo-test's partition laid out through a translating BIOS (ending at head 127, sector 63); <c>&gt; command</c> a command; <c>~&gt; command</c> a
/// command whose reply differs legitimately between implementations (a serial number, a version
/// string), compared on its first word only; <c>*&gt; command</c> a command repeated (for up to 5 s) until
/// it gives its expected reply, as QEMU's own tests poll a status register while a block request
/// completes on QEMU's I/O thread; <c>f&gt; NAME</c> reads fw_cfg file NAME by looking it up in the file
/// directory (selector 0x510, data 0x511, byte reads) and replies <c>FILE hex-bytes</c> or <c>FILE absent</c>, so a
/// file is compared by name whatever key each implementation gave it; every other line is an expected line after the command
/// before it: the <c>IRQ …</c> lines seen while it ran, then its reply. <c>@ignore-irq N …</c> drops
/// the IRQ lines of those I/O APIC inputs (the PIT's, which ticks from reset with no firmware to stop it,
/// so its edges during a long clock_step only measure elapsed time).
/// </summary>
internal sealed class QtestScript
{
    public const int DiskBytes = 1 << 20;
    public const int FloppyBytes = 1_474_560;
    public const long MbrDiskBytes = 61_440 * 512;

    /// <summary>hd-geo-test's part_lba entry: C/H/S 0/1/1 (LBA 63) to 0/127/63, 8001 sectors, active, type 06h.</summary>
    private static readonly byte[] TranslatedPartition = [0x80, 1, 1, 0, 6, 127, 63, 0, 63, 0, 0, 0, 0x41, 0x1F, 0, 0];
    private const int PartitionTable = 0x1BE;
    private const int SignatureOffset = 510;

    private static readonly TimeSpan PollLimit = TimeSpan.FromSeconds(5);

    private readonly HashSet<string> _ignoredIrqs;

    private QtestScript(string name, string[] args, HashSet<string> ignoredIrqs, List<Step> steps)
    {
        Name = name;
        Args = args;
        _ignoredIrqs = ignoredIrqs;
        Steps = steps;
    }

    public string Name { get; }

    public string[] Args { get; }

    public IReadOnlyList<Step> Steps { get; }

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "QemuSystem", "Scripts");

    public static IEnumerable<string> Names() =>
        System.IO.Directory.GetFiles(Directory, "*.qtest").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)!;

    public static QtestScript Load(string name)
    {
        string[] args = [];
        var ignoredIrqs = new HashSet<string>(StringComparer.Ordinal);
        var steps = new List<Step>();
        foreach (var line in File.ReadAllLines(Path.Combine(Directory, $"{name}.qtest")))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (line.StartsWith("@args ", StringComparison.Ordinal))
            {
                args = line["@args ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            }
            else if (line.StartsWith("@ignore-irq ", StringComparison.Ordinal))
            {
                ignoredIrqs.UnionWith(line["@ignore-irq ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            }
            else if (line.StartsWith("> ", StringComparison.Ordinal) || line.StartsWith("~> ", StringComparison.Ordinal)
                     || line.StartsWith("*> ", StringComparison.Ordinal) || line.StartsWith("f> ", StringComparison.Ordinal))
            {
                steps.Add(new Step(line[(line.IndexOf('>') + 2)..], line[0] == '~', line[0] == '*', []) { FwCfgFile = line[0] == 'f' });
            }
            else
            {
                steps[^1].Expected.Add(line);
            }
        }

        return new QtestScript(name, args, ignoredIrqs, steps);
    }

    /// <summary>The options with images created in <paramref name="dir"/> for the placeholders.</summary>
    public string[] MachineArgs(string dir)
    {
        var disk = Path.Combine(dir, "disk.img");
        var floppy = Path.Combine(dir, "floppy.img");
        File.WriteAllBytes(disk, [.. Enumerable.Range(0, DiskBytes).Select(o => (byte)((o / 512) + o))]);
        File.WriteAllBytes(floppy, new byte[FloppyBytes]);
        var mbrDisk = Path.Combine(dir, "mbr-disk.img");
        var mbr = new byte[512];
        TranslatedPartition.CopyTo(mbr, PartitionTable);
        mbr[SignatureOffset] = 0x55;
        mbr[SignatureOffset + 1] = 0xAA;
        using (var file = File.Create(mbrDisk))
        {
            file.Write(mbr);
            file.SetLength(MbrDiskBytes);
        }

        return
        [
            .. Args.Select(a => a.Replace("{disk}", disk, StringComparison.Ordinal).Replace("{floppy}", floppy, StringComparison.Ordinal)
                .Replace("{mbr-disk}", mbrDisk, StringComparison.Ordinal)),
        ];
    }

    /// <summary>
    /// Runs every command; returns each command and its reply (a masked reply cut to its first word),
    /// then every IRQ line in arrival order. The IRQ lines stand apart because a block completion finishes
    /// on the host's I/O thread, in QEMU as here, so an IRQ may arrive a command earlier or later between
    /// runs; their order is what a guest can rely on.
    /// </summary>
    public List<string> Run(LineChannel qtest)
    {
        var received = new List<string>();
        foreach (var step in Steps)
        {
            var reply = step.FwCfgFile ? ReadFwCfgFile(qtest, step.Command) : qtest.Command(step.Command);
            var deadline = DateTime.UtcNow + PollLimit;
            while (step.Poll && reply != step.Expected[^1] && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(1);
                reply = qtest.Command(step.Command);
            }

            received.Add($"{(step.FwCfgFile ? "f" : string.Empty)}> {step.Command}");
            received.Add(step.Masked ? reply.Split(' ')[0] : reply);
        }

        received.AddRange(qtest.Asynchronous.Where(l => !_ignoredIrqs.Contains(l.Split(' ')[^1])));
        return received;
    }

    /// <summary>What <see cref="Run"/> should return, by the script's expected lines.</summary>
    public List<string> Expected() =>
    [
        .. Steps.SelectMany(s => (IEnumerable<string>)[$"{(s.FwCfgFile ? "f" : string.Empty)}> {s.Command}", s.Masked ? s.Expected[^1].Split(' ')[0] : s.Expected[^1]]),
        .. Steps.SelectMany(s => s.Expected.SkipLast(1)).Where(l => !_ignoredIrqs.Contains(l.Split(' ')[^1])),
    ];

    /// <summary>fw_cfg file <paramref name="name"/> through the traditional I/O interface (docs/specs/fw_cfg.rst, "File Directory").</summary>
    private static string ReadFwCfgFile(LineChannel qtest, string name)
    {
        const ushort Selector = 0x510;
        const ushort Data = 0x511;
        const int Directory = 0x19;
        const int EntryBytes = 64;
        const int NameOffset = 8;
        byte[] Read(int count) => [.. Enumerable.Range(0, count).Select(_ => (byte)qtest.Value($"inb 0x{Data:x}"))];

        qtest.Command($"outw 0x{Selector:x} 0x{Directory:x}");
        var count = BinaryPrimitives.ReadUInt32BigEndian(Read(sizeof(uint)));
        for (var i = 0; i < count; i++)
        {
            var entry = Read(EntryBytes);
            var entryName = Encoding.ASCII.GetString(entry, NameOffset, EntryBytes - NameOffset).TrimEnd('\0');
            if (entryName != name)
            {
                continue;
            }

            var size = BinaryPrimitives.ReadUInt32BigEndian(entry);
            var key = BinaryPrimitives.ReadUInt16BigEndian(entry.AsSpan(sizeof(uint)));
            qtest.Command($"outw 0x{Selector:x} 0x{key:x}");
            return $"FILE {Convert.ToHexString(Read((int)size))}";
        }

        return "FILE absent";
    }

    internal sealed record Step(string Command, bool Masked, bool Poll, List<string> Expected)
    {
        public bool FwCfgFile { get; init; }
    }
}
