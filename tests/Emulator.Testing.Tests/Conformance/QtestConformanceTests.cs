namespace Emulator.Testing.Tests.Conformance;

/// <summary>
/// The harness and the qtest socket give identical replies: every scenario of <see cref="QtestScenarios"/> runs
/// over emu-system-x86_64's socket (started as libqtest starts QEMU) and in process, and the two transcripts
/// (each reply, with the <c>IRQ raise/lower</c> lines sent before it) must be equal.
/// </summary>
public class QtestConformanceTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-conformance-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static IEnumerable<QtestScenario> Scenarios() => QtestScenarios.All();

    [TestCaseSource(nameof(Scenarios))]
    public void Scenario_SocketAndHarness_SameTranscript(QtestScenario scenario)
    {
        var options = Options(scenario);

        var socket = OverSocket(options, scenario.Lines);
        var inProcess = InProcess(options, scenario.Lines);

        Assert.Multiple(() =>
        {
            Assert.That(inProcess, Is.EqualTo(socket));
            Assert.That(socket.Count(l => l.Contains(" => ", StringComparison.Ordinal)), Is.EqualTo(scenario.Lines.Length), "every line answered");
        });
    }

    private static List<string> OverSocket(string[] options, string[] lines)
    {
        var dir = Directory.CreateTempSubdirectory("emu-conformance-sock-").FullName;
        try
        {
            using var machine = new QtestMachine(dir, options);
            var transcript = new List<string>();
            foreach (var line in lines)
            {
                var before = machine.Qtest.Asynchronous.Count;
                var reply = machine.Qtest.Command(line);
                transcript.AddRange(machine.Qtest.Asynchronous.Skip(before));
                transcript.Add($"{line} => {reply}");
            }

            return transcript;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static List<string> InProcess(string[] options, string[] lines)
    {
        // QtestMachine adds these for every socket run (libqtest's own options); the harness gets the same.
        using var harness = QtestHarness.Start(["-display", "none", "-nodefaults", .. options]);
        var transcript = new List<string>();
        foreach (var line in lines)
        {
            var before = harness.IrqLines.Count;
            var reply = harness.Command(line);
            transcript.AddRange(harness.IrqLines.Skip(before));
            transcript.Add($"{line} => {reply}");
        }

        return transcript;
    }

    private string[] Options(QtestScenario scenario)
    {
        var disk = Path.Combine(_dir, "disk.img");
        File.WriteAllBytes(disk, new byte[1 << 20]);
        return [.. scenario.Options.Select(o => o.Replace("{disk}", disk, StringComparison.Ordinal))];
    }
}
