using System.Globalization;
using System.Text.RegularExpressions;

namespace Emulator.Cli.Tests.Img;

/// <summary>
/// <c>emu img compare -p</c>: qemu-img 7.2's progress lines (min_skip 2%), counted against the larger
/// image, then the verdict, then the newline qemu_progress_end prints whatever the result.
/// </summary>
public partial class ImgCompareProgressTests : ImgTestBase
{
    [GeneratedRegex(@"^(    \((?<p>\d{1,3}\.\d\d)/100%\)\r)+(?<verdict>[^\r\n]*)\n\n$")]
    private static partial Regex ProgressThenVerdict();

    [Test]
    public void CompareP_IdenticalImages_LinesEveryTwoPercentFromZeroToHundredThenVerdict()
    {
        var data = Random(16 << 20, 3);
        File.WriteAllBytes(PathOf("a.raw"), data);
        File.WriteAllBytes(PathOf("b.raw"), data);

        var (code, output, errors) = Emu("compare", "-p", PathOf("a.raw"), PathOf("b.raw"));

        var match = ProgressThenVerdict().Match(output);
        Assert.That((code, errors, match.Success), Is.EqualTo((0, string.Empty, true)), output);
        var values = match.Groups["p"].Captures.Select(c => double.Parse(c.Value, CultureInfo.InvariantCulture)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(match.Groups["verdict"].Value, Is.EqualTo("Images are identical."));
            Assert.That(values[0], Is.Zero);
            Assert.That(values[^1], Is.EqualTo(100));
            Assert.That(values.Count, Is.InRange(10, 51), "one line per 2% of a 16-chunk job");
            Assert.That(values.Zip(values.Skip(1)).Where(pair => pair.Second < 100).All(pair => pair.Second > pair.First + 2), Is.True, "a line only after more than 2% progress");
        });
    }

    [Test]
    public void CompareP_DifferenceHalfWay_ProgressStopsBeforeItThenMismatchAndNewline()
    {
        var data = Random(16 << 20, 4);
        File.WriteAllBytes(PathOf("a.raw"), data);
        data[(8 << 20) + 1000] ^= 0xFF;
        File.WriteAllBytes(PathOf("b.raw"), data);

        var (code, output, _) = Emu("compare", "-p", PathOf("a.raw"), PathOf("b.raw"));

        var match = ProgressThenVerdict().Match(output);
        Assert.That((code, match.Success), Is.EqualTo((1, true)), output);
        var last = double.Parse(match.Groups["p"].Captures[^1].Value, CultureInfo.InvariantCulture);
        Assert.Multiple(() =>
        {
            Assert.That(match.Groups["verdict"].Value, Is.EqualTo($"Content mismatch at offset {(8 << 20) + 512}!"));
            Assert.That(last, Is.InRange(46.0, 50.0));
        });
    }

    [Test]
    public void CompareP_LargerImageWithDataPastTheEnd_WarningAtTheCommonEndThenMismatch()
    {
        File.WriteAllBytes(PathOf("small.raw"), new byte[4 << 20]);
        var large = new byte[8 << 20];
        large[(6 << 20) + 3] = 1;
        File.WriteAllBytes(PathOf("large.raw"), large);

        var (code, output, _) = Emu("compare", "-p", PathOf("small.raw"), PathOf("large.raw"));

        Assert.That(code, Is.EqualTo(1));
        Assert.That(output, Does.Contain("    (50.00/100%)\rWarning: Image size mismatch!\n")
            .And.EndWith($"\rContent mismatch at offset {6 << 20}!\n\n"));
    }

    [Test]
    public void CompareQuietP_PrintsNothing()
    {
        File.WriteAllBytes(PathOf("a.raw"), new byte[1 << 20]);

        Assert.That(Emu("compare", "-q", "-p", PathOf("a.raw"), PathOf("a.raw")), Is.EqualTo((0, string.Empty, string.Empty)));
    }

    [Test]
    public void ComparePStrictSizeMismatch_SameAsQemuImg_ByteForByte()
    {
        QemuTools.Require();
        File.WriteAllBytes(PathOf("a.raw"), new byte[2 << 20]);
        File.WriteAllBytes(PathOf("b.raw"), new byte[1 << 20]);
        string[] args = ["compare", "-p", "-s", PathOf("a.raw"), PathOf("b.raw")];

        var (ourCode, ours, _) = Emu(args);
        var theirs = QemuTools.ImgStatus(args);

        Assert.That((ourCode, ours), Is.EqualTo((theirs.ExitCode, theirs.Output)));
        Assert.That(ours, Is.EqualTo("    (0.00/100%)\rStrict mode: Image size mismatch!\n\n"));
    }

    [Test]
    public void CompareP_ImageCannotBeOpened_ErrorOnStderrAndTheClosingNewlineOnStdout()
    {
        File.WriteAllBytes(PathOf("a.raw"), new byte[1 << 20]);

        var (code, output, errors) = Emu("compare", "-p", PathOf("a.raw"), PathOf("missing.raw"));

        // qemu-img 7.2 likewise: exit 2, "Could not open" on stderr, "\n" alone on stdout.
        Assert.That((code, output), Is.EqualTo((2, "\n")));
        Assert.That(errors, Does.Contain("missing.raw"));
    }
}
