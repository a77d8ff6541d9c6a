using System.Text.Json.Nodes;
using Emulator.Monitor.Tests.Support;

namespace Emulator.Monitor.Tests.Qmp;

public class QmpMachineInfoTests
{
    private static readonly string[] MachineMembers =
        ["name", "alias", "is-default", "cpu-max", "hotpluggable-cpus", "numa-mem-supported", "deprecated", "default-cpu-type", "default-ram-id"];

    private MonitorHarness _h = null!;
    private QmpTestClient _client = null!;

    [SetUp]
    public void SetUp()
    {
        _h = new MonitorHarness();
        _client = _h.Connect();
    }

    [TearDown]
    public void TearDown()
    {
        _client.Dispose();
        _h.Dispose();
    }

    [Test]
    public void QueryMachines_PcAndNoneWithQemuMembersOnly()
    {
        var machines = _client.Execute("query-machines")["return"]!.AsArray();
        var pc = (JsonObject)machines.Single(m => (string?)m!["alias"] == "pc")!;

        Assert.Multiple(() =>
        {
            Assert.That(machines.Select(m => (string?)m!["name"]), Is.EquivalentTo(new[] { "pc-i440fx-7.2", "none" }));
            Assert.That(machines.SelectMany(m => m!.AsObject().Select(kv => kv.Key)).Distinct(), Is.SubsetOf(MachineMembers));
            Assert.That((string?)pc["alias"], Is.EqualTo("pc"));
            Assert.That((bool?)pc["is-default"], Is.True);
            Assert.That(pc.Select(kv => kv.Key), Is.SubsetOf(MachineMembers));
            Assert.That(pc.Select(kv => kv.Key), Is.SupersetOf(new[] { "name", "cpu-max", "hotpluggable-cpus", "numa-mem-supported", "deprecated" }));
        });
    }

    [Test]
    public void QomListTypes_EntriesCarryOnlyNameAbstractParent()
    {
        var types = _client.Execute("qom-list-types", new JsonObject { ["abstract"] = true })["return"]!.AsArray();

        Assert.Multiple(() =>
        {
            Assert.That(types.SelectMany(t => t!.AsObject().Select(kv => kv.Key)).Distinct(), Is.SubsetOf(new[] { "name", "abstract", "parent" }));
            Assert.That(types.Select(t => (string?)t!["name"]), Does.Contain("device").And.Contain("isa-debug-exit"));
        });
    }

    [Test]
    public void QomListTypes_ImplementsIsaDevice_ConcreteIsaTypesOnly()
    {
        var names = _client.Execute("qom-list-types", new JsonObject { ["implements"] = "isa-device" })["return"]!
            .AsArray().Select(t => (string?)t!["name"]).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(names, Does.Contain("mc146818rtc").And.Contain("isa-pit").And.Not.Contain("isa-device"));
            Assert.That(names, Does.Not.Contain("i440FX"));
        });
    }

    [Test]
    public void QomListTypes_ImplementsDeviceWithAbstract_HasQosGraphNodesWithQemuParents()
    {
        // qos-test starts -machine none and marks its graph nodes available by these names only.
        var parents = _client.Execute("qom-list-types", new JsonObject { ["abstract"] = true, ["implements"] = "device" })["return"]!
            .AsArray().ToDictionary(t => (string)t!["name"]!, t => (string?)t!["parent"]);

        Assert.Multiple(() =>
        {
            Assert.That(parents, Does.ContainKey("i440FX-pcihost").WithValue("pci-host-bridge"));
            Assert.That(parents, Does.ContainKey("virtio-blk-pci").WithValue("virtio-blk-pci-base"));
            Assert.That(parents, Does.ContainKey("piix3-ide").WithValue("pci-ide"));
            Assert.That(parents, Does.ContainKey("PIIX3").WithValue("pci-piix3"));
            Assert.That(parents, Does.ContainKey("ide-hd").WithValue("ide-device"));
            Assert.That(parents, Does.ContainKey("floppy").WithValue("device"));
        });
    }

    [Test]
    public void QomListTypes_UnknownType_Empty()
    {
        Assert.That(_client.Execute("qom-list-types", new JsonObject { ["implements"] = "block-backend" })["return"]!.AsArray(), Is.Empty);
    }
}
