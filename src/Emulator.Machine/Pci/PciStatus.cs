namespace Emulator.Machine.Pci;

/// <summary>Status register bits (PCI Local Bus Specification 3.0, section 6.2.3).</summary>
[Flags]
public enum PciStatus : ushort
{
    /// <summary>No status bits.</summary>
    None = 0,
    /// <summary>Bit 3: the function is asserting INTx# (read-only, set whatever the interrupt-disable bit says).</summary>
    InterruptStatus = 0x0008,
    /// <summary>Bit 4: the capabilities pointer at 0x34 is valid.</summary>
    CapabilitiesList = 0x0010,
    /// <summary>Bit 5: 66 MHz capable.</summary>
    Capable66MHz = 0x0020,
    /// <summary>Bit 7: fast back-to-back capable as a target.</summary>
    FastBackToBackCapable = 0x0080,
    /// <summary>Bit 8: master data parity error (write-one-to-clear).</summary>
    MasterDataParityError = 0x0100,
    /// <summary>Bits 10-9 = 01: medium DEVSEL# timing.</summary>
    DevselMedium = 0x0200,
    /// <summary>Bit 11: the function signalled a target abort (write-one-to-clear).</summary>
    SignaledTargetAbort = 0x0800,
    /// <summary>Bit 12: the function as master received a target abort (write-one-to-clear).</summary>
    ReceivedTargetAbort = 0x1000,
    /// <summary>Bit 13: the function as master received a master abort (write-one-to-clear).</summary>
    ReceivedMasterAbort = 0x2000,
    /// <summary>Bit 14: the function asserted SERR# (write-one-to-clear).</summary>
    SignaledSystemError = 0x4000,
    /// <summary>Bit 15: a parity error was detected (write-one-to-clear).</summary>
    DetectedParityError = 0x8000,

    /// <summary>Error bits a write of 1 clears.</summary>
    WriteOneToClear = MasterDataParityError | SignaledTargetAbort | ReceivedTargetAbort | ReceivedMasterAbort | SignaledSystemError | DetectedParityError,
}
