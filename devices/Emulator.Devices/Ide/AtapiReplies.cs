using System.Buffers.Binary;

namespace Emulator.Devices.Ide;

/// <summary>
/// Builders for the CD-ROM's data-in replies, each writing into a span and returning its length:
/// REQUEST SENSE (SPC-3 4.5.3 fixed format), INQUIRY (SPC-3 6.4), mode pages (MMC-5 7.2-7.5),
/// READ TOC formats 0/1/2 (MMC-5 6.33), GET CONFIGURATION with the profile list (MMC-5 5.3.1),
/// GET EVENT STATUS NOTIFICATION media class (MMC-5 6.6), READ DISC INFORMATION (MMC-5 6.22) and
/// MECHANISM STATUS (MMC-5 6.10). The values are those QEMU's ide-cd reports.
/// </summary>
internal static class AtapiReplies
{
    public const int SenseBytes = 18;
    public const int InquiryBytes = 36;
    public const int CdSectorSize = 2048;

    /// <summary>80 minutes of 75 frames a second: a larger medium is a DVD (QEMU's CD_MAX_SECTORS).</summary>
    public const long CdMaxBlocks = 80L * 60 * 75;

    public const ushort ProfileDvdRom = 0x0010;
    public const ushort ProfileCdRom = 0x0008;

    private const byte FixedSenseCurrentValid = 0xF0;
    private const byte SenseAdditionalLength = 10;
    private const byte CdromDeviceType = 0x05;
    private const byte Removable = 0x80;
    private const byte InquiryVersion = 0x21;
    private const byte InquiryAdditionalLength = 31;
    private const byte VpdSupportedPages = 0x00;
    private const byte VpdDeviceIdentification = 0x83;
    private const byte CodeSetAscii = 0x02;
    private const byte T10VendorIdentification = 0x01;
    private const byte ModeMediumType = 0x70;
    private const byte PageErrorRecovery = 0x01;
    private const byte PageAudioControl = 0x0E;
    private const byte PageCapabilities = 0x2A;
    private const byte ReadRetryCount = 5;
    private const byte ReadsMedia = 0x3B;
    private const byte AudioPlayAndMore = 0x71;
    private const byte CddaBits = 0x60;
    private const byte LockEjectTray = 0x29;
    private const byte LockedBit = 0x02;
    private const ushort SpeedKbps = 704;
    private const ushort VolumeLevels = 2;
    private const ushort BufferKb = 512;
    private const byte AudioImmediate = 0x04;
    private const byte DataTrackControl = 0x14;
    private const byte LeadOutControl = 0x16;
    private const byte LeadOutTrack = 0xAA;
    private const byte PointFirstTrack = 0xA0;
    private const byte PointLastTrack = 0xA1;
    private const byte PointLeadOut = 0xA2;
    private const byte PersistentCurrent = 0x03;
    private const byte GesnMediaClass = 4;
    private const byte GesnNoEvent = 0x80;
    private const byte DiscFinalized = 0x0E;
    private const byte UnrestrictedUse = 0x20;

    public static int RequestSense(Span<byte> b, SenseKey key, ScsiAsc asc)
    {
        b[..SenseBytes].Clear();
        b[0] = FixedSenseCurrentValid;
        b[2] = (byte)key;
        b[7] = SenseAdditionalLength;
        b[12] = (byte)asc;
        return SenseBytes;
    }

    public static int Inquiry(Span<byte> b, string model, string revision)
    {
        b[..InquiryBytes].Clear();
        b[0] = CdromDeviceType;
        b[1] = Removable;
        b[3] = InquiryVersion;
        b[4] = InquiryAdditionalLength;
        PadAscii(b.Slice(8, 8), "QEMU");
        PadAscii(b.Slice(16, 16), model);
        PadAscii(b.Slice(32, 4), revision);
        return InquiryBytes;
    }

    /// <summary>
    /// INQUIRY vital product data (SPC-3 7.6): page 00h lists 00h and 83h; page 83h carries one T10
    /// vendor identification descriptor "ATA" + model + serial, as an ATA device's identity is built.
    /// Returns -1 for any other page.
    /// </summary>
    public static int VitalProductData(Span<byte> b, int page, string model, string serial)
    {
        switch (page)
        {
            case VpdSupportedPages:
                b[..6].Clear();
                b[0] = CdromDeviceType;
                b[3] = 2;
                b[4] = VpdSupportedPages;
                b[5] = VpdDeviceIdentification;
                return 6;
            case VpdDeviceIdentification:
                const int descriptor = 8 + 40 + 20;
                b[..(8 + descriptor)].Clear();
                b[0] = CdromDeviceType;
                b[1] = VpdDeviceIdentification;
                BinaryPrimitives.WriteUInt16BigEndian(b[2..], 4 + descriptor);
                b[4] = CodeSetAscii;
                b[5] = T10VendorIdentification;
                b[7] = descriptor;
                PadAscii(b.Slice(8, 8), "ATA");
                PadAscii(b.Slice(16, 40), model);
                PadAscii(b.Slice(56, 20), serial);
                return 8 + descriptor;
            default:
                return -1;
        }
    }

    /// <summary>Writes the current values of mode page <paramref name="page"/> at <paramref name="b"/>; -1 for a page not implemented.</summary>
    public static int ModePage(Span<byte> b, int page, bool locked)
    {
        switch (page)
        {
            case PageErrorRecovery:
                b[..8].Clear();
                b[0] = PageErrorRecovery;
                b[1] = 6;
                b[3] = ReadRetryCount;
                return 8;
            case PageAudioControl:
                b[..16].Clear();
                b[0] = PageAudioControl;
                b[1] = 14;
                b[2] = AudioImmediate;
                b[8] = 1;
                b[9] = byte.MaxValue;
                b[10] = 2;
                b[11] = byte.MaxValue;
                return 16;
            case PageCapabilities:
                b[..20].Clear();
                b[0] = PageCapabilities;
                b[1] = 18;
                b[2] = ReadsMedia;
                b[4] = AudioPlayAndMore;
                b[5] = CddaBits;
                b[6] = (byte)(LockEjectTray | (locked ? LockedBit : 0));
                BinaryPrimitives.WriteUInt16BigEndian(b[8..], SpeedKbps);
                BinaryPrimitives.WriteUInt16BigEndian(b[10..], VolumeLevels);
                BinaryPrimitives.WriteUInt16BigEndian(b[12..], BufferKb);
                BinaryPrimitives.WriteUInt16BigEndian(b[14..], SpeedKbps);
                return 20;
            default:
                return -1;
        }
    }

    /// <summary>MODE SENSE header: 8 bytes for the (10) form, 4 for the (6) form; no block descriptors.</summary>
    public static int ModeHeader(Span<byte> b, bool tenByte, int pageLength)
    {
        if (tenByte)
        {
            b[..8].Clear();
            BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)(8 - 2 + pageLength));
            b[2] = ModeMediumType;
            return 8;
        }

        b[..4].Clear();
        b[0] = (byte)(4 - 1 + pageLength);
        b[1] = ModeMediumType;
        return 4;
    }

    /// <summary>READ TOC format 0: track 1 (data) and the lead-out; -1 when the starting track does not exist.</summary>
    public static int Toc(Span<byte> b, long blocks, bool msf, int startTrack)
    {
        if (startTrack > 1 && startTrack != LeadOutTrack)
        {
            return -1;
        }

        var q = 2;
        b[q++] = 1;
        b[q++] = 1;
        if (startTrack <= 1)
        {
            q = TrackDescriptor(b, q, DataTrackControl, 1, 0, msf);
        }

        q = TrackDescriptor(b, q, LeadOutControl, LeadOutTrack, blocks, msf);
        BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)(q - 2));
        return q;
    }

    /// <summary>READ TOC format 1: one complete session whose first track is 1 at LBA 0.</summary>
    public static int SessionInfo(Span<byte> b, bool msf)
    {
        b[..12].Clear();
        b[1] = 10;
        b[2] = 1;
        b[3] = 1;
        TrackDescriptor(b, 4, DataTrackControl, 1, 0, msf);
        return 12;
    }

    /// <summary>READ TOC format 2 (full TOC): points A0, A1, A2 and track 1 of session 1.</summary>
    public static int FullToc(Span<byte> b, long blocks, bool msf)
    {
        var q = 2;
        b[q++] = 1;
        b[q++] = 1;
        q = RawDescriptor(b, q, PointFirstTrack, 1, 0, 0, msf: false);
        q = RawDescriptor(b, q, PointLastTrack, 1, 0, 0, msf: false);
        q = RawDescriptor(b, q, PointLeadOut, 0, 0, blocks, msf);
        q = RawDescriptor(b, q, 1, 0, 0, 0, msf);
        BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)(q - 2));
        return q;
    }

    /// <summary>GET CONFIGURATION from feature 0: header with the current profile and the profile list (DVD-ROM, CD-ROM).</summary>
    public static int Configuration(Span<byte> b, long blocks)
    {
        const int length = 8 + 4 + (2 * 4);
        b[..length].Clear();
        var current = blocks > CdMaxBlocks ? ProfileDvdRom : blocks > 0 ? ProfileCdRom : (ushort)0;
        BinaryPrimitives.WriteUInt32BigEndian(b, length - 4);
        BinaryPrimitives.WriteUInt16BigEndian(b[6..], current);
        b[10] = PersistentCurrent;
        b[11] = 2 * 4;
        BinaryPrimitives.WriteUInt16BigEndian(b[12..], ProfileDvdRom);
        b[14] = (byte)(current == ProfileDvdRom ? 1 : 0);
        BinaryPrimitives.WriteUInt16BigEndian(b[16..], ProfileCdRom);
        b[18] = (byte)(current == ProfileCdRom ? 1 : 0);
        return length;
    }

    /// <summary>GET EVENT STATUS NOTIFICATION, polled: the media class descriptor when it was requested, else "no event".</summary>
    public static int EventStatus(Span<byte> b, bool mediaRequested, MediaEventCode code, MediaStatus status)
    {
        b[..8].Clear();
        b[3] = 1 << GesnMediaClass;
        if (!mediaRequested)
        {
            b[2] = GesnNoEvent;
            return 4;
        }

        b[1] = 4;
        b[2] = GesnMediaClass;
        b[4] = (byte)code;
        b[5] = (byte)status;
        return 8;
    }

    public static int DiscInformation(Span<byte> b)
    {
        b[..34].Clear();
        b[1] = 32;
        b[2] = DiscFinalized;
        b[3] = 1;
        b[4] = 1;
        b[5] = 1;
        b[6] = 1;
        b[7] = UnrestrictedUse;
        return 34;
    }

    public static int MechanismStatus(Span<byte> b)
    {
        b[..8].Clear();
        b[5] = 1;
        return 8;
    }

    private static int TrackDescriptor(Span<byte> b, int q, byte control, byte track, long lba, bool msf)
    {
        b[q++] = 0;
        b[q++] = control;
        b[q++] = track;
        b[q++] = 0;
        PutAddress(b.Slice(q, 4), lba, msf);
        return q + 4;
    }

    private static int RawDescriptor(Span<byte> b, int q, byte point, byte pmin, byte psec, long lba, bool msf)
    {
        b[q++] = 1;
        b[q++] = DataTrackControl;
        b[q++] = 0;
        b[q++] = point;
        b[q++] = 0;
        b[q++] = 0;
        b[q++] = 0;
        if (point == PointLeadOut || point == 1)
        {
            PutAddress(b.Slice(q, 4), lba, msf);
        }
        else
        {
            b[q] = 0;
            b[q + 1] = pmin;
            b[q + 2] = psec;
            b[q + 3] = 0;
        }

        return q + 4;
    }

    private static void PutAddress(Span<byte> b, long lba, bool msf)
    {
        if (!msf)
        {
            BinaryPrimitives.WriteUInt32BigEndian(b, (uint)lba);
            return;
        }

        b[0] = 0;
        CdMsf.Write(b[1..], lba);
    }

    private static void PadAscii(Span<byte> b, string text)
    {
        for (var i = 0; i < b.Length; i++)
        {
            b[i] = i < text.Length && text[i] < 0x80 ? (byte)text[i] : (byte)' ';
        }
    }
}
