using Emulator.Machine.Platform;

namespace Emulator.Machine.Tests.Platform;

public class ScanCodeSet2Tests
{
    private static IEnumerable<Key> AllKeys => Enum.GetValues<Key>();

    [TestCaseSource(nameof(AllKeys))]
    public void Translate_Set2CodeOfEveryKey_GivesBackSet1Code(Key key)
    {
        var set1 = (byte)key;

        Assert.That(ScanCodeSet2.Translate(ScanCodeSet2.FromSet1Code(set1)), Is.EqualTo(set1));
    }

    [TestCase(0xFA)]
    [TestCase(0xAA)]
    [TestCase(0xE0)]
    public void Translate_ReplyAndPrefixBytes_PassThrough(int value)
    {
        Assert.That(ScanCodeSet2.Translate((byte)value), Is.EqualTo(value));
    }
}
