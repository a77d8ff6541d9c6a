namespace Emulator.Devices.Ide;

/// <summary>
/// The packet commands of the CD-ROM, one entry per SCSI opcode (QEMU's atapi_cmd_table). Opcodes
/// without a handler fail with ILLEGAL REQUEST / INVALID COMMAND OPERATION CODE.
/// Limitations: no READ DVD STRUCTURE, MODE SELECT, audio play, READ CD MSF, READ TRACK
/// INFORMATION or writing; READ CD returns user data only (raw 2352-byte sectors → INVALID FIELD).
/// </summary>
public static class AtapiCommandTable
{
    private const int OpcodeCount = 256;

    private static readonly AtapiCommandEntry[] Table = Build();

    public static AtapiCommandEntry Lookup(byte opcode) => Table[opcode];

    private static AtapiCommandEntry[] Build()
    {
        var t = new AtapiCommandEntry[OpcodeCount];
        void Add(ScsiOpcode op, AtapiCommandFlags flags, Action<AtapiCdrom, byte[]> handler) => t[(int)op] = new(handler, flags);

        const AtapiCommandFlags Ua = AtapiCommandFlags.AllowUnitAttention;
        const AtapiCommandFlags Ready = AtapiCommandFlags.CheckReady;
        const AtapiCommandFlags NonData = AtapiCommandFlags.NonData;

        Add(ScsiOpcode.TestUnitReady, Ready | NonData, static (d, _) => d.CommandOk());
        Add(ScsiOpcode.RequestSense, Ua, static (d, p) => d.RequestSense(p));
        Add(ScsiOpcode.Inquiry, Ua, static (d, p) => d.Inquiry(p));
        Add(ScsiOpcode.ModeSense6, AtapiCommandFlags.None, static (d, p) => d.ModeSense(p, tenByte: false));
        Add(ScsiOpcode.ModeSense10, AtapiCommandFlags.None, static (d, p) => d.ModeSense(p, tenByte: true));
        Add(ScsiOpcode.StartStopUnit, NonData, static (d, p) => d.StartStopUnit(p));
        Add(ScsiOpcode.PreventAllowMediumRemoval, NonData, static (d, p) => d.PreventAllowMediumRemoval(p));
        Add(ScsiOpcode.ReadCapacity, Ready, static (d, _) => d.ReadCapacity());
        Add(ScsiOpcode.Read10, Ready, static (d, p) => d.Read(Cdb.Be32(p, 2), Cdb.Be16(p, 7)));
        Add(ScsiOpcode.Read12, Ready, static (d, p) => d.Read(Cdb.Be32(p, 2), Cdb.Be32(p, 6)));
        Add(ScsiOpcode.ReadCd, Ready | NonData, static (d, p) => d.ReadCd(p));
        Add(ScsiOpcode.Seek10, Ready | NonData, static (d, p) => d.Seek(Cdb.Be32(p, 2)));
        Add(ScsiOpcode.ReadTocPmaAtip, Ready, static (d, p) => d.ReadToc(p));
        Add(ScsiOpcode.GetConfiguration, Ua, static (d, p) => d.GetConfiguration(p));
        Add(ScsiOpcode.GetEventStatusNotification, Ua, static (d, p) => d.GetEventStatusNotification(p));
        Add(ScsiOpcode.ReadDiscInformation, Ready, static (d, p) => d.ReadDiscInformation(p));
        Add(ScsiOpcode.MechanismStatus, AtapiCommandFlags.None, static (d, p) => d.MechanismStatus(p));
        Add(ScsiOpcode.SetCdSpeed, NonData, static (d, _) => d.CommandOk());
        return t;
    }
}
