using System.Globalization;
using System.Text.RegularExpressions;
using Emulator.Cli.Img;

namespace Emulator.Cli.Tests.Img;

/// <summary><c>emu img convert -p</c> prints qemu-img 7.2's progress lines (the same on a terminal and in a pipe); SIGUSR1 asks for one on stderr.</summary>
public partial class ImgProgressTests : ImgTestBase
{
    [GeneratedRegex(@"^(    \((?<p>\d{1,3}\.\d\d)/100%\)\r)+\n$")]
    private static partial Regex ProgressLines();

    [Test]
    public void ConvertP_NotATerminal_QemuLinesFromZeroToHundredThenNewline()
    {
        File.WriteAllBytes(PathOf("a.raw"), Random(16 << 20, 1));

        var output = EmuOk("convert", "-p", "-f", "raw", "-O", "qcow2", PathOf("a.raw"), PathOf("a.qcow2"));

        var match = ProgressLines().Match(output);
        Assert.That(match.Success, Is.True, output);
        var values = match.Groups["p"].Captures.Select(c => double.Parse(c.Value, CultureInfo.InvariantCulture)).ToList();
        Assert.That(values[0], Is.Zero);
        Assert.That(values[^1], Is.EqualTo(100));
        Assert.That(values.Zip(values.Skip(1)).Where(pair => pair.Second < 100).All(pair => pair.Second > pair.First + 1), Is.True, "a line only after more than 1% progress");
    }

    [Test]
    public void ConvertP_QemuImgInAPipe_PrintsTheSameShapeOfLines()
    {
        QemuTools.Require();
        File.WriteAllBytes(PathOf("a.raw"), Random(16 << 20, 1));

        var theirs = QemuTools.Img("convert", "-p", "-f", "raw", "-O", "qcow2", PathOf("a.raw"), PathOf("q.qcow2"));

        Assert.That(ProgressLines().IsMatch(theirs), Is.True, theirs);
    }

    [Test]
    public void Convert_WithoutP_PrintsNothing()
    {
        File.WriteAllBytes(PathOf("a.raw"), Random(1 << 20, 1));

        Assert.That(EmuOk("convert", "-f", "raw", "-O", "qcow2", PathOf("a.raw"), PathOf("a.qcow2")), Is.Empty);
    }

    [Test]
    public void Report_WithoutPAfterSigusr1_OneLineOnStderr()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        using var progress = new ImgProgress(stdout, stderr, enabled: false);

        progress.Report(10);
        progress.RequestReport();
        progress.Report(50);
        progress.Report(60);
        progress.End();

        Assert.That((stdout.ToString(), stderr.ToString()), Is.EqualTo((string.Empty, "    (50.00/100%)" + Environment.NewLine)));
    }
}
