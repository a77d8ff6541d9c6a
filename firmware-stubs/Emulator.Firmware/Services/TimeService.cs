using Emulator.Firmware.Hardware;

namespace Emulator.Firmware.Services;

/// <summary>INT 1Ah: the BIOS tick count (AH=00h/01h) from the BDA, and the RTC time and date (AH=02h–05h) through the CMOS ports, in BCD.</summary>
internal sealed class TimeService(FirmwareContext context)
{
    private const byte StatusBBinary = 0x04;
    private const byte StatusB24Hour = 0x02;
    private const byte StatusBSetBit = 0x80;

    public BiosServiceResult Handle(BiosCall call)
    {
        var memory = context.Memory;
        var cmos = context.Cmos;
        switch (call.AH)
        {
            case 0x00:
            {
                var ticks = memory.ReadDword(Bda.Ticks);
                call.CX = (ushort)(ticks >> 16);
                call.DX = (ushort)ticks;
                call.AL = memory.ReadByte(Bda.MidnightFlag);
                memory.WriteByte(Bda.MidnightFlag, 0);
                call.Ok();
                break;
            }

            case 0x01:
                memory.WriteDword(Bda.Ticks, ((uint)call.CX << 16) | call.DX);
                memory.WriteByte(Bda.MidnightFlag, 0);
                call.Ok();
                break;
            case 0x02:
                call.CH = Bcd(cmos.ReadTime(CmosPorts.Hours));
                call.CL = Bcd(cmos.ReadTime(CmosPorts.Minutes));
                call.DH = Bcd(cmos.ReadTime(CmosPorts.Seconds));
                call.DL = 0;
                call.Ok();
                break;
            case 0x03:
                WriteTime(call);
                call.Ok();
                break;
            case 0x04:
                call.CH = Bcd(cmos.ReadTime(CmosPorts.Century));
                call.CL = Bcd(cmos.ReadTime(CmosPorts.Year));
                call.DH = Bcd(cmos.ReadTime(CmosPorts.Month));
                call.DL = Bcd(cmos.ReadTime(CmosPorts.DayOfMonth));
                call.Ok();
                break;
            case 0x05:
                WriteDate(call);
                call.Ok();
                break;
            default:
                call.Fail(0x86);
                break;
        }

        return BiosServiceResult.Done;
    }

    /// <summary>A CMOS time register as BCD whatever mode the RTC is in.</summary>
    private byte Bcd(byte value) =>
        (context.Cmos.Read(CmosPorts.StatusB) & StatusBBinary) == 0 ? value : (byte)(((value / 10) << 4) | (value % 10));

    private byte FromBcd(byte bcd) =>
        (context.Cmos.Read(CmosPorts.StatusB) & StatusBBinary) == 0 ? bcd : (byte)(((bcd >> 4) * 10) + (bcd & 0x0F));

    private void WriteTime(BiosCall call)
    {
        var cmos = context.Cmos;
        var statusB = cmos.Read(CmosPorts.StatusB);
        cmos.Write(CmosPorts.StatusB, (byte)(statusB | StatusBSetBit | StatusB24Hour));
        cmos.Write(CmosPorts.Hours, FromBcd(call.CH));
        cmos.Write(CmosPorts.Minutes, FromBcd(call.CL));
        cmos.Write(CmosPorts.Seconds, FromBcd(call.DH));
        cmos.Write(CmosPorts.StatusB, (byte)((statusB | StatusB24Hour) & ~StatusBSetBit));
    }

    private void WriteDate(BiosCall call)
    {
        var cmos = context.Cmos;
        var statusB = cmos.Read(CmosPorts.StatusB);
        cmos.Write(CmosPorts.StatusB, (byte)(statusB | StatusBSetBit));
        cmos.Write(CmosPorts.Century, FromBcd(call.CH));
        cmos.Write(CmosPorts.Year, FromBcd(call.CL));
        cmos.Write(CmosPorts.Month, FromBcd(call.DH));
        cmos.Write(CmosPorts.DayOfMonth, FromBcd(call.DL));
        cmos.Write(CmosPorts.StatusB, (byte)(statusB & ~StatusBSetBit));
    }
}
