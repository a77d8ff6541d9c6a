namespace Emulator.Devices.Virtio;

/// <summary>Why a queue was found malformed (virtio 1.2, 2.7; QEMU's virtqueue_pop errors). Any of these marks the device NEEDS_RESET.</summary>
internal enum VirtqueueFault : byte
{
    None,

    /// <summary>The available index moved by more than the queue size.</summary>
    AvailIndexJump,

    /// <summary>A head or next index is outside the descriptor table.</summary>
    IndexOutOfRange,

    /// <summary>A chain is longer than its table: it loops.</summary>
    ChainTooLong,

    /// <summary>An indirect table inside an indirect table, an indirect descriptor with NEXT, or in the middle of a chain.</summary>
    BadIndirect,

    /// <summary>A descriptor with length 0.</summary>
    ZeroLength,

    /// <summary>A device-readable descriptor after a device-writable one.</summary>
    WrongOrder,

    /// <summary>A ring, table or buffer outside guest RAM.</summary>
    OutsideRam,

    /// <summary>The request framing is wrong for the device (missing header or status).</summary>
    BadRequest,
}
