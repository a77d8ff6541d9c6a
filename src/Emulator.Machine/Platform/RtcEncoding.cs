namespace Emulator.Machine.Platform;

/// <summary>
/// MC146818 time field encoding (datasheet, "Time, Calendar and Alarm Data Modes"): BCD or binary
/// per register B's DM bit, and for hours 12-hour mode with bit 7 as PM when the 24/12 bit is clear.
/// </summary>
internal readonly struct RtcEncoding(RtcStatusB statusB)
{
    private const byte HourPmBit = 0x80;
    private const int HoursPerHalfDay = 12;
    private const int DecimalBase = 10;
    private const int NibbleBits = 4;
    private const byte NibbleMask = 0x0F;

    private bool Binary => (statusB & RtcStatusB.BinaryMode) != 0;

    private bool Hour24 => (statusB & RtcStatusB.Hour24) != 0;

    public byte Encode(int value) =>
        Binary ? (byte)value : (byte)(((value / DecimalBase) << NibbleBits) | (value % DecimalBase));

    public int Decode(byte raw) =>
        Binary ? raw : ((raw >> NibbleBits) * DecimalBase) + (raw & NibbleMask);

    public byte EncodeHour(int hour)
    {
        if (Hour24)
        {
            return Encode(hour);
        }

        var twelve = hour % HoursPerHalfDay == 0 ? HoursPerHalfDay : hour % HoursPerHalfDay;
        return (byte)(Encode(twelve) | (hour >= HoursPerHalfDay ? HourPmBit : 0));
    }

    public int DecodeHour(byte raw)
    {
        if (Hour24)
        {
            return Decode(raw);
        }

        var twelve = Decode((byte)(raw & ~HourPmBit)) % HoursPerHalfDay;
        return (raw & HourPmBit) != 0 ? twelve + HoursPerHalfDay : twelve;
    }
}
