namespace Emulator.Machine.Pci;

/// <summary>Status register bits (PCI Local Bus Specification 3.0, section 6.2.3).</summary>
[Flags]
public enum PciStatus : ushort
{
    None = 0,
    InterruptStatus = 0x0008,
    CapabilitiesList = 0x0010,
    Capable66MHz = 0x0020,
    FastBackToBackCapable = 0x0080,
    MasterDataParityError = 0x0100,
    DevselMedium = 0x0200,
    SignaledTargetAbort = 0x0800,
    ReceivedTargetAbort = 0x1000,
    ReceivedMasterAbort = 0x2000,
    SignaledSystemError = 0x4000,
    DetectedParityError = 0x8000,

    /// <summary>Error bits a write of 1 clears.</summary>
    WriteOneToClear = MasterDataParityError | SignaledTargetAbort | ReceivedTargetAbort | ReceivedMasterAbort | SignaledSystemError | DetectedParityError,
}
