namespace Emulator.Devices.Ide;

/// <summary>
/// The packet commands of the CD-ROM, one entry per SCSI opcode (QEMU's atapi_cmd_table). Opcodes
/// without a handler fail with ILLEGAL REQUEST / INVALID COMMAND OPERATION CODE.
/// Limitations: no READ DVD STRUCTURE, MODE SELECT, audio play, READ CD MSF, READ TRACK
/// INFORMATION or writing.
/// </summary>
internal static class AtapiCommandTable
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

        Add(ScsiOpcode.TestUnitReady, Ready | NonData, AtapiCommands.TestUnitReady);
        Add(ScsiOpcode.RequestSense, Ua, AtapiCommands.RequestSense);
        Add(ScsiOpcode.Inquiry, Ua, AtapiCommands.Inquiry);
        Add(ScsiOpcode.ModeSense6, AtapiCommandFlags.None, static (d, p) => AtapiCommands.ModeSense(d, p, tenByte: false));
        Add(ScsiOpcode.ModeSense10, AtapiCommandFlags.None, static (d, p) => AtapiCommands.ModeSense(d, p, tenByte: true));
        Add(ScsiOpcode.StartStopUnit, NonData, AtapiCommands.StartStopUnit);
        Add(ScsiOpcode.PreventAllowMediumRemoval, NonData, AtapiCommands.PreventAllowMediumRemoval);
        Add(ScsiOpcode.ReadCapacity, Ready, AtapiCommands.ReadCapacity);
        Add(ScsiOpcode.Read10, Ready, AtapiCommands.Read10);
        Add(ScsiOpcode.Read12, Ready, AtapiCommands.Read12);
        Add(ScsiOpcode.ReadCd, Ready | NonData, AtapiCommands.ReadCd);
        Add(ScsiOpcode.Seek10, Ready | NonData, AtapiCommands.Seek);
        Add(ScsiOpcode.ReadTocPmaAtip, Ready, AtapiCommands.ReadToc);
        Add(ScsiOpcode.GetConfiguration, Ua, AtapiCommands.GetConfiguration);
        Add(ScsiOpcode.GetEventStatusNotification, Ua, AtapiCommands.GetEventStatusNotification);
        Add(ScsiOpcode.ReadDiscInformation, Ready, AtapiCommands.ReadDiscInformation);
        Add(ScsiOpcode.MechanismStatus, AtapiCommandFlags.None, AtapiCommands.MechanismStatus);
        Add(ScsiOpcode.SetCdSpeed, NonData, AtapiCommands.SetCdSpeed);
        return t;
    }
}
