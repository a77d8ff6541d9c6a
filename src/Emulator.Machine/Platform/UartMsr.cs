namespace Emulator.Machine.Platform;

/// <summary>Modem status register bits (NS16550A datasheet, "Modem Status Register").</summary>
[Flags]
internal enum UartMsr : byte
{
    None = 0,
    DeltaClearToSend = 0x01,
    DeltaDataSetReady = 0x02,
    TrailingEdgeRingIndicator = 0x04,
    DeltaDataCarrierDetect = 0x08,
    ClearToSend = 0x10,
    DataSetReady = 0x20,
    RingIndicator = 0x40,
    DataCarrierDetect = 0x80,
    Deltas = DeltaClearToSend | DeltaDataSetReady | TrailingEdgeRingIndicator | DeltaDataCarrierDetect,
    Lines = ClearToSend | DataSetReady | RingIndicator | DataCarrierDetect,
}
