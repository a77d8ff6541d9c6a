using Emulator.Machine.Memory;

namespace Emulator.Machine.Tests.Support;

internal sealed class FakeA20Gate : IA20Gate
{
    public bool A20Enabled { get; set; }
}
