using System.Buffers.Binary;
using Emulator.Block.Backend;

namespace Emulator.Devices.Virtio;

/// <summary>
/// The virtio-blk configuration space (virtio 1.2, 5.2.4) with QEMU's values: capacity from the
/// backend's current length, seg_max = queue size - 2, CHS geometry, 512-byte blocks, topology
/// zeroes, the guest-writable writeback byte (the only field a driver may change), num_queues and
/// the discard/write-zeroes limits.
/// </summary>
internal sealed class VirtioBlkConfig
{
    public const int SectorSize = 512;
    private const int SectorShift = 9;
    private const int GuessHeads = 16;
    private const int GuessSectors = 63;
    private const int SegmentsReserved = 2;

    private readonly BlockBackend _backend;
    private readonly VirtioBlkOptions _options;
    private readonly byte[] _bytes = new byte[(int)VirtioBlkConfigOffset.End];

    public VirtioBlkConfig(BlockBackend backend, VirtioBlkOptions options)
    {
        _backend = backend;
        _options = options;
    }

    public ulong CapacitySectors => (ulong)_backend.Length >> SectorShift;

    public byte Read(int offset)
    {
        Render();
        return offset < _bytes.Length ? _bytes[offset] : (byte)0;
    }

    /// <summary>Only the writeback byte is writable; it switches the backend's write cache.</summary>
    public void Write(int offset, byte value)
    {
        if (offset == (int)VirtioBlkConfigOffset.Writeback)
        {
            _backend.WriteCacheEnabled = value != 0;
        }
    }

    /// <summary>Re-renders the whole structure (cheap; config reads are rare and must see a resize at once).</summary>
    private void Render()
    {
        var span = _bytes.AsSpan();
        var capacity = CapacitySectors;
        var heads = _options.Heads != 0 ? _options.Heads : GuessHeads;
        var sectors = _options.Sectors != 0 ? _options.Sectors : GuessSectors;
        var cylinders = _options.Cylinders != 0 ? _options.Cylinders : (ushort)Math.Min(capacity / (ulong)(heads * sectors), ushort.MaxValue);
        BinaryPrimitives.WriteUInt64LittleEndian(span[(int)VirtioBlkConfigOffset.Capacity..], capacity);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(int)VirtioBlkConfigOffset.SizeMax..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(int)VirtioBlkConfigOffset.SegMax..], (uint)(_options.QueueSize - SegmentsReserved));
        BinaryPrimitives.WriteUInt16LittleEndian(span[(int)VirtioBlkConfigOffset.Cylinders..], cylinders);
        span[(int)VirtioBlkConfigOffset.Heads] = (byte)heads;
        span[(int)VirtioBlkConfigOffset.Sectors] = (byte)sectors;
        BinaryPrimitives.WriteUInt32LittleEndian(span[(int)VirtioBlkConfigOffset.BlkSize..], SectorSize);
        span[(int)VirtioBlkConfigOffset.Writeback] = _backend.WriteCacheEnabled ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt16LittleEndian(span[(int)VirtioBlkConfigOffset.NumQueues..], (ushort)_options.NumQueues);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(int)VirtioBlkConfigOffset.MaxDiscardSectors..], _options.MaxDiscardSectors);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(int)VirtioBlkConfigOffset.MaxDiscardSeg..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(int)VirtioBlkConfigOffset.DiscardSectorAlignment..], SectorSize >> SectorShift);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(int)VirtioBlkConfigOffset.MaxWriteZeroesSectors..], _options.MaxWriteZeroesSectors);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(int)VirtioBlkConfigOffset.MaxWriteZeroesSeg..], 1);
        span[(int)VirtioBlkConfigOffset.WriteZeroesMayUnmap] = 1;
    }
}
