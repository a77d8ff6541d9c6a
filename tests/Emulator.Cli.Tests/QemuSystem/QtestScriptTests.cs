namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>
/// The shared qtest scripts (QemuSystem/Scripts): each runs against emu-system-x86_64 and must give the
/// transcript it records, and each also runs against a qemu-system-x86_64 built with the qtest
/// accelerator — the one <c>QTEST_REFERENCE_QEMU</c> names, else the shared reference
/// (../shared/qemu-qtest/qemu-ref-system-x86_64) — and the two reply streams must be equal line by
/// line. Without such a binary the differential tests are Ignored with the reason, never passed.
/// </summary>
public class QtestScriptTests
{
    public const string ReferenceVariable = "QTEST_REFERENCE_QEMU";

    /// <summary>The qtest-capable QEMU 7.2 beside the repository (shared/qemu-qtest).</summary>
    private static readonly string[] SharedReference = ["qemu-qtest", "qemu-ref-system-x86_64"];

    private string _dir = null!;

    public static IEnumerable<string> Scripts => QtestScript.Names();

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-qtest-script-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [TestCaseSource(nameof(Scripts))]
    public void Script_Emulator_MatchesRecordedTranscript(string name)
    {
        var script = QtestScript.Load(name);

        var received = Run(Launcher.Path(), script);

        Assert.That(received, Is.EqualTo(script.Expected()));
    }

    [TestCaseSource(nameof(Scripts))]
    public void Script_ReferenceQemu_SameRepliesAsEmulator(string name)
    {
        var reference = ReferenceQemu();
        var script = QtestScript.Load(name);

        var theirs = Run(reference, script);
        var ours = Run(Launcher.Path(), script);

        Assert.That(ours, Is.EqualTo(theirs), $"emu-system-x86_64 (actual) against {reference} (expected)");
    }

    /// <summary>The binary QTEST_REFERENCE_QEMU names (else the shared reference), once it is shown to list the qtest accelerator; otherwise the test is Ignored.</summary>
    private static string ReferenceQemu()
    {
        var binary = Environment.GetEnvironmentVariable(ReferenceVariable);
        if (string.IsNullOrEmpty(binary))
        {
            binary = SharedFolder.Find(SharedReference);
        }

        if (string.IsNullOrEmpty(binary))
        {
            Assert.Ignore($"{ReferenceVariable} is not set and shared/{string.Join('/', SharedReference)} is absent: no reference qemu-system-x86_64 with the qtest accelerator to compare with");
        }

        // "-accel help" does not list qtest even where it is built in; asking for the qtest accelerator's
        // properties does tell: QEMU without it answers "invalid accelerator qtest".
        string refusal;
        try
        {
            using var process = Launcher.StartBinary(binary!, "-accel", "qtest,help");
            refusal = process.StandardError.ReadToEnd();
            process.WaitForExit(30_000);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Ignore($"{binary} cannot run: {e.Message}");
            throw;
        }

        if (refusal.Contains("invalid accelerator qtest", StringComparison.Ordinal))
        {
            Assert.Ignore($"{binary} lacks the qtest accelerator: {refusal.Trim()}");
        }

        return binary!;
    }

    private List<string> Run(string binary, QtestScript script)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_dir, Path.GetFileName(binary))).FullName;
        using var machine = new QtestMachine(binary, dir, script.MachineArgs(dir));
        return script.Run(machine.Qtest);
    }
}
