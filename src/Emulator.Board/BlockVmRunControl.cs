using Emulator.Block.Backend;
using Emulator.Machine.Loop;

namespace Emulator.Board;

/// <summary>The block layer's stop policy pauses the machine with run state io-error.</summary>
internal sealed class BlockVmRunControl(PcMachine machine) : IVmRunControl
{
    public void RequestStopForIoError() => machine.RequestPause(MachineRunState.IoError);
}
