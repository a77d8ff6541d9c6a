using Emulator.Firmware.Hardware;
using Emulator.Firmware.Services;
using Emulator.Machine.Bus;
using static Emulator.Firmware.Disks.AtaRegisters;

namespace Emulator.Firmware.Disks;

/// <summary>
/// One IDE channel's task file as the BIOS drives it: device select, commands, PIO data blocks through
/// the port bus's string path, and waits for IRQ 14/15 (the ROM handler sets BDA 8Eh), checking the
/// alternate status so a wait does not acknowledge the interrupt early.
/// </summary>
internal sealed class AtaChannel(FirmwareContext context, ushort commandBase, ushort controlBase)
{
    private const byte InterruptFlag = 0xFF;

    public FirmwareContext Context => context;

    public ushort CommandBase => commandBase;

    public IoPortBus Ports => context.Ports;

    public byte Status => context.Ports.ReadByte((ushort)(commandBase + AtaRegisters.Status));

    public byte AlternateStatus => context.Ports.ReadByte(controlBase);

    public byte ErrorRegister => context.Ports.ReadByte((ushort)(commandBase + AtaRegisters.Error));

    public byte Read(int register) => context.Ports.ReadByte((ushort)(commandBase + register));

    public void Write(int register, byte value) => context.Ports.WriteByte((ushort)(commandBase + register), value);

    /// <summary>Interrupts on (nIEN clear).</summary>
    public void EnableInterrupts() => context.Ports.WriteByte(controlBase, 0);

    public void Select(int unit, byte lbaBits = 0) => Write(Device, (byte)(DeviceObsolete | (unit == 1 ? DeviceSlave : 0) | lbaBits));

    public void ClearInterrupt() => context.Memory.WriteByte(Bda.HardDiskInterruptFlag, 0);

    /// <summary>Issues a command (the registers are already loaded) after clearing the interrupt flag.</summary>
    public void Issue(byte command)
    {
        ClearInterrupt();
        Write(Command, command);
    }

    /// <summary>
    /// Waits until BSY is clear (and, with <paramref name="needDrq"/>, DRQ or ERR is set); sets <see cref="TimedOut"/>.
    /// The final read of the status register acknowledges the device's interrupt.
    /// </summary>
    public IEnumerable<BiosServiceResult> WaitReady(bool needDrq, int ticks = Deadline.DefaultTicks)
    {
        TimedOut = false;
        var deadline = new Deadline(context, ticks);
        while (true)
        {
            var status = AlternateStatus;
            if ((status & StatusBusy) == 0 && (!needDrq || (status & (StatusDrq | StatusError)) != 0))
            {
                LastStatus = Status;
                yield break;
            }

            if (deadline.Expired)
            {
                TimedOut = true;
                LastStatus = Status;
                yield break;
            }

            yield return context.Memory.ReadByte(Bda.HardDiskInterruptFlag) == InterruptFlag
                ? BiosServiceResult.Poll
                : BiosServiceResult.WaitForInterrupt;
        }
    }

    public bool TimedOut { get; private set; }

    public byte LastStatus { get; private set; }

    public void ReadData(Span<byte> destination) => context.Ports.ReadBlock((ushort)(commandBase + Data), PortWidth.Word, destination);

    public void WriteData(ReadOnlySpan<byte> source) => context.Ports.WriteBlock((ushort)(commandBase + Data), PortWidth.Word, source);

    /// <summary>Loads sector count and LBA for a 28-bit or 48-bit (two writes per register, high bytes first) command.</summary>
    public void LoadLba(int unit, ulong lba, int count, bool lba48)
    {
        if (lba48)
        {
            Select(unit, DeviceLba);
            Write(SectorCount, (byte)(count >> 8));
            Write(LbaLow, (byte)(lba >> 24));
            Write(LbaMid, (byte)(lba >> 32));
            Write(LbaHigh, (byte)(lba >> 40));
            Write(SectorCount, (byte)count);
            Write(LbaLow, (byte)lba);
            Write(LbaMid, (byte)(lba >> 8));
            Write(LbaHigh, (byte)(lba >> 16));
        }
        else
        {
            Select(unit, (byte)(DeviceLba | ((lba >> 24) & 0x0F)));
            Write(SectorCount, (byte)count);
            Write(LbaLow, (byte)lba);
            Write(LbaMid, (byte)(lba >> 8));
            Write(LbaHigh, (byte)(lba >> 16));
        }
    }
}
