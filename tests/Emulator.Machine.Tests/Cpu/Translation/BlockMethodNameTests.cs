using Emulator.Machine.Cpu.Translation;

namespace Emulator.Machine.Tests.Cpu.Translation;

/// <summary>
/// A compiled block's method is named after the guest code it came from, so a host profile (perf with
/// DOTNET_PerfMapEnabled=1) can be read against guest addresses (docs/translating-cpu.md).
/// </summary>
public class BlockMethodNameTests
{
    [TestCase(0x0001_0000u, false, "block_00010000_16")]
    [TestCase(0x081C_2481u, true, "block_081c2481_32")]
    public void MethodName_IsPhysicalAddressAndCodeSize(uint physical, bool codeBig, string expected) =>
        Assert.That(TranslatingTier.MethodName(physical, codeBig), Is.EqualTo(expected));
}
