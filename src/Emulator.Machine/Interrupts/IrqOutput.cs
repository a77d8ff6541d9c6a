namespace Emulator.Machine.Interrupts;

/// <summary>
/// A chip's output onto an <see cref="IIrqLine"/> that remembers the level it drives, so the line hears
/// only changes: the chip recomputes its interrupt condition after every register access and sets the
/// result here.
/// </summary>
internal sealed class IrqOutput(IIrqLine line)
{
    /// <summary>The level the chip drives now (false at power-on).</summary>
    public bool Level { get; private set; }

    public void Set(bool level)
    {
        if (level == Level)
        {
            return;
        }

        Level = level;
        if (level)
        {
            line.Raise();
        }
        else
        {
            line.Lower();
        }
    }
}
