using Emulator.Cli.Boot;
using Emulator.Machine.Platform;

namespace Emulator.Cli.Tests.Boot;

public class ConsoleKeyMapTests
{
    [TestCase(ConsoleKey.UpArrow, Key.Up)]
    [TestCase(ConsoleKey.RightArrow, Key.Right)]
    [TestCase(ConsoleKey.Enter, Key.Enter)]
    [TestCase(ConsoleKey.Escape, Key.Escape)]
    [TestCase(ConsoleKey.F1, Key.F1)]
    [TestCase(ConsoleKey.F10, Key.F10)]
    [TestCase(ConsoleKey.F12, Key.F12)]
    [TestCase(ConsoleKey.Delete, Key.Delete)]
    public void Special_TerminalKey_PcKey(ConsoleKey console, Key expected) =>
        Assert.That(ConsoleKeyMap.Special(console), Is.EqualTo(expected));

    [Test]
    public void Special_CharacterKey_LeftToText() => Assert.That(ConsoleKeyMap.Special(ConsoleKey.A), Is.Null);
}
