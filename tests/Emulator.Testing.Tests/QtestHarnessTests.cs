using System.Text.Json.Nodes;
using Emulator.Hosting.QemuSystem;

namespace Emulator.Testing.Tests;

/// <summary>The harness's own contract: option errors as emu system reports them, QMP as objects, events, the typed clock.</summary>
public class QtestHarnessTests
{
    [Test]
    public void Start_UnknownDevice_QemuOptionException()
    {
        Assert.That(() => QtestHarness.Start("-device", "no-such-device"),
            Throws.TypeOf<QemuOptionException>().With.Message.EqualTo("-device no-such-device: 'no-such-device' is not a valid device model name"));
    }

    [Test]
    public void Start_QtestSocketOption_Refused()
    {
        Assert.That(() => QtestHarness.Start("-qtest", "unix:/tmp/x"), Throws.TypeOf<QemuOptionException>());
    }

    [Test]
    public void QmpReturn_UnknownCommand_QmpErrorExceptionWithClass()
    {
        using var qts = QtestHarness.Start();

        Assert.That(() => qts.QmpReturn("no-such-command"),
            Throws.TypeOf<QmpErrorException>().With.Property(nameof(QmpErrorException.ErrorClass)).EqualTo("CommandNotFound"));
    }

    [Test]
    public void Qmp_StopThenQueryStatus_PausedAndStopEvent()
    {
        using var qts = QtestHarness.Start();

        qts.QmpReturn("stop");
        var status = qts.QmpReturn("query-status");
        var stop = qts.WaitEvent("STOP", TimeSpan.FromSeconds(30));

        Assert.Multiple(() =>
        {
            Assert.That((string?)status["status"], Is.EqualTo("paused"));
            Assert.That(stop, Is.Not.Null);
            Assert.That(qts.PendingEvents.Select(e => (string?)e["event"]), Has.None.EqualTo("STOP"), "taken");
        });
    }

    [Test]
    public void ClockSet_Past_Throws()
    {
        using var qts = QtestHarness.Start();
        qts.ClockSet(5000);

        Assert.Multiple(() =>
        {
            Assert.That(() => qts.ClockSet(1000), Throws.InvalidOperationException);
            Assert.That(qts.ClockStep(1000), Is.EqualTo(6000));
        });
    }

    [Test]
    public void Qmp_BlockdevAddThenQueryNamedBlockNodes_NodeListed()
    {
        using var qts = QtestHarness.Start();

        qts.QmpReturn("blockdev-add", new JsonObject { ["driver"] = "null-co", ["node-name"] = "n0", ["size"] = 4096 });
        var nodes = qts.QmpReturn("query-named-block-nodes").AsArray();

        Assert.That(nodes.Select(n => (string?)n!["node-name"]), Does.Contain("n0"));
    }

    [Test]
    public void Dispose_Twice_NoError()
    {
        var qts = QtestHarness.Start();
        qts.Dispose();

        Assert.That(qts.Dispose, Throws.Nothing);
    }
}
