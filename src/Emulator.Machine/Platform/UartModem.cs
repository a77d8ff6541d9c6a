namespace Emulator.Machine.Platform;

/// <summary>
/// The 16550A modem control and status pair: MCR outputs, MSR inputs with their delta bits, and
/// loopback, which wires RTS→CTS, DTR→DSR, OUT1→RI and OUT2→DCD (datasheet, MCR bit 4). Outside
/// loopback the host side holds CTS, DSR and DCD asserted, as QEMU's serial backend does.
/// </summary>
internal sealed class UartModem
{
    private const UartMsr HostModemLines = UartMsr.ClearToSend | UartMsr.DataSetReady | UartMsr.DataCarrierDetect;

    /// <summary>The inputs whose every change sets a delta bit (RI's delta is for its trailing edge only).</summary>
    private static readonly (UartMsr Line, UartMsr Delta)[] DeltaBits =
    [
        (UartMsr.ClearToSend, UartMsr.DeltaClearToSend),
        (UartMsr.DataSetReady, UartMsr.DeltaDataSetReady),
        (UartMsr.DataCarrierDetect, UartMsr.DeltaDataCarrierDetect),
    ];

    /// <summary>Loopback's wiring of each MCR output to an MSR input.</summary>
    private static readonly (UartMcr Output, UartMsr Input)[] LoopbackWiring =
    [
        (UartMcr.RequestToSend, UartMsr.ClearToSend),
        (UartMcr.DataTerminalReady, UartMsr.DataSetReady),
        (UartMcr.Out1, UartMsr.RingIndicator),
        (UartMcr.Out2, UartMsr.DataCarrierDetect),
    ];

    private UartMsr _msr = HostModemLines;

    public UartMcr Control { get; private set; }

    public bool Loopback => (Control & UartMcr.Loopback) != 0;

    public bool HasDeltas => (_msr & UartMsr.Deltas) != 0;

    /// <summary>MCR cleared, the host's lines asserted without deltas.</summary>
    public void Reset()
    {
        Control = UartMcr.None;
        _msr = HostModemLines;
    }

    /// <summary>MSR as the guest reads it; reading clears the delta bits.</summary>
    public UartMsr ReadStatus()
    {
        var value = Status();
        _msr &= ~UartMsr.Deltas;
        return value;
    }

    public void WriteControl(UartMcr mcr)
    {
        var before = Status() & UartMsr.Lines;
        Control = mcr & UartMcr.Mask;
        var after = Status() & UartMsr.Lines;
        var changed = before ^ after;
        foreach (var (line, delta) in DeltaBits)
        {
            if ((changed & line) != 0)
            {
                _msr |= delta;
            }
        }

        if ((before & UartMsr.RingIndicator) != 0 && (after & UartMsr.RingIndicator) == 0)
        {
            _msr |= UartMsr.TrailingEdgeRingIndicator;
        }
    }

    private UartMsr Status()
    {
        var deltas = _msr & UartMsr.Deltas;
        if (!Loopback)
        {
            return deltas | (_msr & UartMsr.Lines);
        }

        var lines = UartMsr.None;
        foreach (var (output, input) in LoopbackWiring)
        {
            if ((Control & output) != 0)
            {
                lines |= input;
            }
        }

        return deltas | lines;
    }
}
