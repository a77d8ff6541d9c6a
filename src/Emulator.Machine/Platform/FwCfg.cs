using System.Buffers.Binary;
using System.Text;
using Emulator.Machine.Bus;
using Emulator.Machine.Lifecycle;

namespace Emulator.Machine.Platform;

/// <summary>
/// QEMU's firmware configuration device (docs/specs/fw_cfg.rst), traditional I/O interface:
/// a 16-bit selector written at port 0x510 and a byte-wide data port at 0x511 that reads the
/// selected item sequentially (0 past its end). As in QEMU, a byte access at 0x510 also reaches
/// the data register. Items: signature "QEMU", ID (bit 0: traditional interface only), UUID, RAM
/// size (64-bit LE), CPU counts, no-graphic and boot-menu flags, and the file directory (key 0x19,
/// big-endian count followed by 64-byte entries, sorted by name) with files from key 0x20 on,
/// added by the machine builder through <see cref="AddFile"/>.
/// Limitations: no DMA interface (ports 0x514-0x51B; the ID item says so), guest writes are ignored.
/// </summary>
public sealed class FwCfg : IPortDevice, IResettable
{
    /// <summary>The selector port: a 16-bit write picks the item and rewinds its read offset.</summary>
    public const ushort SelectorPort = 0x510;
    /// <summary>The data port: each byte read returns the next byte of the selected item.</summary>
    public const ushort DataPort = 0x511;

    /// <summary>fw_cfg.rst "File Directory": 56-byte NUL-terminated name.</summary>
    public const int MaxFileNameLength = 55;

    private const int FileNameField = 56;
    private const int DirectoryEntrySize = 64;
    private const int DirectoryHeaderSize = 4;
    private const uint IdTraditionalInterface = 0x01;
    private const int UuidSize = 16;

    private static readonly byte[] SignatureBytes = "QEMU"u8.ToArray();

    private readonly Dictionary<ushort, byte[]> _items = [];
    private readonly SortedDictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private byte[] _selected = [];
    private int _offset;

    /// <summary>
    /// An fw_cfg device with the standard items: signature, ID, a zero UUID, <paramref name="ramSize"/> bytes of RAM,
    /// <paramref name="cpuCount"/> CPUs, and an empty file directory.
    /// </summary>
    public FwCfg(ulong ramSize, ushort cpuCount = 1)
    {
        SetItem(FwCfgKey.Signature, SignatureBytes);
        SetItem(FwCfgKey.Id, LittleEndian32(IdTraditionalInterface));
        SetItem(FwCfgKey.Uuid, new byte[UuidSize]);
        var ram = new byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(ram, ramSize);
        SetItem(FwCfgKey.RamSize, ram);
        SetItem(FwCfgKey.NoGraphic, new byte[sizeof(ushort)]);
        var cpus = new byte[sizeof(ushort)];
        BinaryPrimitives.WriteUInt16LittleEndian(cpus, cpuCount);
        SetItem(FwCfgKey.CpuCount, cpus);
        SetItem(FwCfgKey.MaxCpus, cpus);
        SetItem(FwCfgKey.BootMenu, new byte[sizeof(ushort)]);
        RebuildDirectory();
    }

    /// <summary>Reset: no item selected and the data offset back at 0; the items themselves are the board's.</summary>
    public void Reset()
    {
        _selected = [];
        _offset = 0;
    }

    /// <summary>Sets (or replaces) the item behind <paramref name="key"/>.</summary>
    public void SetItem(FwCfgKey key, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        _items[(ushort)key] = data;
    }

    /// <summary>Adds a named file (e.g. "etc/boot-fail-wait"); keys are reassigned so the directory stays sorted by name.</summary>
    /// <exception cref="ArgumentException">The name is empty, too long, not ASCII or already present.</exception>
    public void AddFile(string name, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(data);
        if (name.Length == 0 || name.Length > MaxFileNameLength || !Ascii.IsValid(name))
        {
            throw new ArgumentException($"fw_cfg file name '{name}' must be 1-{MaxFileNameLength} ASCII characters.", nameof(name));
        }

        if (!_files.TryAdd(name, data))
        {
            throw new ArgumentException($"fw_cfg file '{name}' already exists.", nameof(name));
        }

        RebuildDirectory();
    }

    /// <summary>
    /// Adds <paramref name="name"/> or replaces its contents (QEMU's fw_cfg_modify_file): what a board
    /// regenerates at every reset, such as "bios-geometry" after a device was unplugged.
    /// </summary>
    /// <exception cref="ArgumentException">The name is empty, too long or not ASCII.</exception>
    public void SetFile(string name, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(data);
        if (_files.ContainsKey(name))
        {
            _files[name] = data;
            RebuildDirectory();
            return;
        }

        AddFile(name, data);
    }

    /// <inheritdoc/>
    public void RegisterPorts(IoPortBus bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.Register(this, SelectorPort, 1, PortWidths.Byte | PortWidths.Word);
        bus.Register(this, DataPort, 1);
    }

    /// <inheritdoc/>
    public uint Read(ushort port, PortWidth width)
    {
        if (width != PortWidth.Byte)
        {
            return uint.MaxValue;
        }

        return _offset < _selected.Length ? _selected[_offset++] : 0u;
    }

    /// <inheritdoc/>
    public void Write(ushort port, PortWidth width, uint value)
    {
        // A 16-bit write at the selector port selects; byte writes are data writes, which QEMU has ignored since 2.4.
        if (port == SelectorPort && width == PortWidth.Word)
        {
            Select((ushort)value);
        }
    }

    private void Select(ushort key)
    {
        _selected = _items.TryGetValue(key, out var data) ? data : [];
        _offset = 0;
    }

    private void RebuildDirectory()
    {
        foreach (var key in _items.Keys.Where(k => k >= (ushort)FwCfgKey.FirstFile && k < (ushort)FwCfgKey.FirstFile + _files.Count + 1).ToList())
        {
            _items.Remove(key);
        }

        var directory = new byte[DirectoryHeaderSize + (_files.Count * DirectoryEntrySize)];
        BinaryPrimitives.WriteUInt32BigEndian(directory, (uint)_files.Count);
        var index = 0;
        foreach (var (name, data) in _files)
        {
            var key = (ushort)((ushort)FwCfgKey.FirstFile + index);
            var entry = directory.AsSpan(DirectoryHeaderSize + (index * DirectoryEntrySize), DirectoryEntrySize);
            BinaryPrimitives.WriteUInt32BigEndian(entry, (uint)data.Length);
            BinaryPrimitives.WriteUInt16BigEndian(entry[sizeof(uint)..], key);
            Encoding.ASCII.GetBytes(name, entry.Slice(DirectoryEntrySize - FileNameField, FileNameField));
            _items[key] = data;
            index++;
        }

        _items[(ushort)FwCfgKey.FileDirectory] = directory;
    }

    private static byte[] LittleEndian32(uint value)
    {
        var bytes = new byte[sizeof(uint)];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }
}
