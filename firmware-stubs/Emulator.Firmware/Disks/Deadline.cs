using Emulator.Firmware.Hardware;
using Emulator.Firmware.Services;

namespace Emulator.Firmware.Disks;

/// <summary>
/// A time limit for a wait on hardware, counted in BIOS ticks (INT 08h, 18.2 per second) read from the
/// BDA, with a cap on the number of polls as a backstop for a guest that stopped the tick.
/// </summary>
internal readonly struct Deadline
{
    public const int DefaultTicks = 55;
    private const int MaxPolls = 4_000_000;
    private readonly FirmwareContext _context;
    private readonly uint _start;
    private readonly int _ticks;
    private readonly int[] _polls;

    public Deadline(FirmwareContext context, int ticks = DefaultTicks)
    {
        _context = context;
        _start = context.Memory.ReadDword(Bda.Ticks);
        _ticks = ticks;
        _polls = [0];
    }

    /// <summary>True once the limit has passed; each call counts as one poll.</summary>
    public bool Expired => ++_polls[0] > MaxPolls || unchecked(_context.Memory.ReadDword(Bda.Ticks) - _start) > (uint)_ticks;
}
