namespace Emulator.Block.Backend;

/// <summary>The action chosen for one failed request (QEMU's <c>BlockErrorAction</c>).</summary>
public enum BlockErrorAction : byte
{
    Report,
    Ignore,
    Stop,
}
