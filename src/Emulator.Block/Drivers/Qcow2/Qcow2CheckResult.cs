using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>The outcome of a qcow2 consistency check (cluster counts as <c>qemu-img check</c> counts them).</summary>
internal sealed record Qcow2CheckResult : ImageCheckResult;
