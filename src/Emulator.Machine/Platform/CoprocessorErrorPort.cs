using Emulator.Machine.Bus;
using Emulator.Machine.Interrupts;

namespace Emulator.Machine.Platform;

/// <summary>
/// The PC/AT coprocessor-error wiring: the CPU's FERR# drives ISA IRQ 13, and a write to port F0h
/// (any value) clears that request and asserts IGNNE#, so the handler's FNCLEX and the faulting
/// instruction can proceed. This is the path an x87 error takes while CR0.NE is clear (MS-DOS era
/// software); with CR0.NE set, as Linux runs, errors are #MF and this port sees nothing. As QEMU's
/// pc machine (ioportF0 and the ferr IRQ, hw/i386/pc.c), reads float high.
/// </summary>
internal sealed class CoprocessorErrorPort : IPortDevice
{
    public const ushort Port = 0xF0;

    /// <summary>The ISA IRQ FERR# is routed to.</summary>
    public const int Irq = 13;

    private readonly IIrqLine _line;
    private readonly Action _ignoreNumericError;

    /// <param name="line">IRQ 13.</param>
    /// <param name="ignoreNumericError">Asserts the CPU's IGNNE#.</param>
    public CoprocessorErrorPort(IIrqLine line, Action ignoreNumericError)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(ignoreNumericError);
        _line = line;
        _ignoreNumericError = ignoreNumericError;
    }

    public void RegisterPorts(IoPortBus bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.Register(this, Port, 1);
    }

    /// <summary>The CPU's FERR# output.</summary>
    public void SetError(bool asserted)
    {
        if (asserted)
        {
            _line.Raise();
        }
    }

    public uint Read(ushort port, PortWidth width) => uint.MaxValue;

    public void Write(ushort port, PortWidth width, uint value)
    {
        _ignoreNumericError();
        _line.Lower();
    }
}
