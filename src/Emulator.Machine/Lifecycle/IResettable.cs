namespace Emulator.Machine.Lifecycle;

/// <summary>
/// A chip or device the machine resets on a system reset (QMP <c>system_reset</c>, a triple fault, the
/// 8042's reset line, port 92h bit 0, port CF9h): <see cref="Reset"/> puts every guest-visible register
/// back to its power-on value and lowers the interrupt lines the part drives. State that survives a
/// real reset stays (CMOS RAM, guest RAM, host-side input not yet delivered).
/// </summary>
public interface IResettable
{
    /// <summary>Back to power-on state; runs on the machine thread at the loop's fixed point.</summary>
    void Reset();
}
