using Emulator.Machine.Bus;

namespace Emulator.Testing;

/// <summary>
/// What libqtest offers a device test, as one interface: port and memory access, the virtual clock and
/// intercepted interrupt lines. <see cref="QtestHarness"/> implements it in process; a test may implement
/// it over the qtest socket of <c>emu-system-x86_64</c> or QEMU, so the libqos helpers
/// (<see cref="Qos.PciBus"/>, <see cref="Qos.AtaChannel"/>…) run over either. Width-named shortcuts
/// (<c>InB</c>, <c>WriteL</c>…) are in <see cref="QtestExtensions"/>.
/// </summary>
public interface IQtest
{
    /// <summary>qtest's <c>in{b,w,l}</c>.</summary>
    uint In(ushort port, PortWidth width);

    /// <summary>qtest's <c>out{b,w,l}</c>.</summary>
    void Out(ushort port, PortWidth width, uint value);

    /// <summary>qtest's <c>read</c>/<c>memread</c>: guest physical memory (64-bit view) into <paramref name="data"/>.</summary>
    void Read(ulong address, Span<byte> data);

    /// <summary>qtest's <c>write</c>/<c>memwrite</c>.</summary>
    void Write(ulong address, ReadOnlySpan<byte> data);

    /// <summary>qtest's <c>memset</c>.</summary>
    void Memset(ulong address, int size, byte value);

    /// <summary>qtest's <c>clock_step NS</c>: advances virtual time, returns the new time in ns.</summary>
    long ClockStep(ulong nanoseconds);

    /// <summary>qtest's <c>clock_step</c> without a step: to the next timer deadline; null (QEMU's FAIL) when none is armed.</summary>
    long? ClockStepToNextDeadline();

    /// <summary>qtest's <c>clock_set NS</c>: returns the new time; a time in the past is refused with <see cref="InvalidOperationException"/>.</summary>
    long ClockSet(ulong time);

    /// <summary>qtest's <c>irq_intercept_in PATH</c> (<c>ioapic</c>, <c>i8259</c>); a refusal is <see cref="InvalidOperationException"/>.</summary>
    void InterceptIrqIn(string path);

    /// <summary>qtest's <c>irq_intercept_out PATH</c> (<c>i8259</c>: its INTR output, line 0).</summary>
    void InterceptIrqOut(string path);

    /// <summary>libqtest's <c>qtest_get_irq</c>: the last level reported for intercepted line <paramref name="line"/>.</summary>
    bool GetIrq(int line);
}
