namespace Emulator.Block.Backend;

/// <summary>
/// What the block layer needs from the machine: a way to pause the VM when an error policy says
/// <c>stop</c>. The machine implements it; the block layer references nothing of the machine.
/// </summary>
public interface IVmRunControl
{
    /// <summary>Asks the machine to pause with run state <c>io-error</c> at its next safe point.</summary>
    void RequestStopForIoError();
}
