namespace Emulator.Devices.Floppy;

/// <summary>
/// The controller settings the host programs and reads back but that do not change how this model
/// moves data (82078 datasheet, "SPECIFY", "CONFIGURE", "LOCK", "POWERDOWN MODE"): step rate and
/// head times, implied seek / FIFO / polling / threshold, precompensation start track, the lock
/// bit and the power-down mode byte. DUMPREG and SAVE report them; RESTORE reloads them.
/// </summary>
internal sealed class FdcSettings
{
    private const int StepRateShift = 4;
    private const int LockDumpShift = 7;
    private const int PerpendicularShift = 2;
    private const byte PerpendicularMask = 0x07;
    private const byte LockBit = 0x80;

    /// <summary>82078 power-on CONFIGURE byte as QEMU sets it: EIS and EFIFO bits set.</summary>
    private const byte DefaultConfig = 0x60;

    public const int DumpBytes = 10;
    public const int SaveBytes = 15;

    private byte _stepRateAndUnload;
    private byte _headLoad;
    private byte _config = DefaultConfig;
    private byte _precompensationTrack;
    private byte _powerDownMode;

    public bool Locked { get; set; }

    /// <summary>SPECIFY [SRT|HUT, HLT|ND]; the ND bit is the caller's (it gates DMA).</summary>
    public void Specify(byte stepRateAndUnload, byte headLoadAndNonDma)
    {
        _stepRateAndUnload = (byte)(stepRateAndUnload >> StepRateShift);
        _headLoad = (byte)(headLoadAndNonDma >> 1);
    }

    /// <summary>CONFIGURE [0, EIS|EFIFO|POLL|FIFOTHR, PRETRK].</summary>
    public void Configure(byte config, byte precompensationTrack)
    {
        _config = config;
        _precompensationTrack = precompensationTrack;
    }

    public byte SetPowerDownMode(byte mode) => _powerDownMode = mode;

    /// <summary>DUMPREG's ten bytes: the four drives' cylinders, timers, EOT, lock and perpendicular bits, CONFIGURE.</summary>
    public void Dump(Span<byte> result, byte track0, byte track1, byte sectorsPerTrack, byte perpendicular, bool dmaEnabled)
    {
        result[..DumpBytes].Clear();
        result[0] = track0;
        result[1] = track1;
        result[4] = _stepRateAndUnload;
        result[5] = (byte)((_headLoad << 1) | (dmaEnabled ? 1 : 0));
        result[6] = sectorsPerTrack;
        result[7] = LockAndPerpendicular(perpendicular);
        result[8] = _config;
        result[9] = _precompensationTrack;
    }

    /// <summary>SAVE's fifteen bytes, in the layout RESTORE takes back.</summary>
    public void Save(Span<byte> result, byte track0, byte track1, byte sectorsPerTrack, byte perpendicular)
    {
        result[..SaveBytes].Clear();
        result[2] = track0;
        result[3] = track1;
        result[6] = _stepRateAndUnload;
        result[7] = _headLoad;
        result[8] = sectorsPerTrack;
        result[9] = LockAndPerpendicular(perpendicular);
        result[10] = _config;
        result[11] = _precompensationTrack;
        result[12] = _powerDownMode;
    }

    /// <summary>RESTORE from the command bytes (SAVE's result shifted by the command byte); returns the perpendicular bits.</summary>
    public byte Restore(ReadOnlySpan<byte> command)
    {
        _stepRateAndUnload = command[7];
        _headLoad = command[8];
        Locked = (command[10] & LockBit) != 0;
        _config = command[11];
        _precompensationTrack = command[12];
        _powerDownMode = command[13];
        return (byte)((command[10] >> PerpendicularShift) & PerpendicularMask);
    }

    private byte LockAndPerpendicular(byte perpendicular) =>
        (byte)(((Locked ? 1 : 0) << LockDumpShift) | (perpendicular << PerpendicularShift));
}
