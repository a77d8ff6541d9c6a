namespace Emulator.Block.Tracing.Export;

/// <summary>The stages of an assembled span, in the order a request passes them (indexes <see cref="IoSpan.Stamps"/>).</summary>
internal enum IoSpanStage
{
    Doorbell,
    Decoded,
    Submitted,
    DriverStart,
    DriverEnd,
    Queued,
    Delivered,
    Interrupt,
    Acknowledged,
}
