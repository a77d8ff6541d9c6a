using System.Text.Json.Nodes;
using Emulator.Block.Backend;
using Emulator.Monitor.Tests.Support;

namespace Emulator.Monitor.Tests.Qmp;

public class QmpBlockCommandTests
{
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

    private JsonObject Run(string command, JsonObject? arguments = null) => _client.Execute(command, arguments);

    private static string? Desc(JsonObject reply) => (string?)reply["error"]?["desc"];

    private JsonObject Block(string device) =>
        (JsonObject)Run("query-block")["return"]!.AsArray().Single(b => (string?)b!["device"] == device)!;

    [Test]
    public void QueryBlock_EmptyCd_TrayAndIoStatusNoInserted()
    {
        _h.AddCd();

        var cd = Block("cd0");

        Assert.Multiple(() =>
        {
            Assert.That((string?)cd["qdev"], Is.EqualTo("cdx"));
            Assert.That((bool?)cd["removable"], Is.True);
            Assert.That((bool?)cd["tray_open"], Is.False);
            Assert.That((string?)cd["io-status"], Is.EqualTo("ok"));
            Assert.That(cd.ContainsKey("inserted"), Is.False);
            Assert.That((string?)cd["type"], Is.EqualTo("unknown"));
        });
    }

    [Test]
    public void QueryBlock_Disk_InsertedImageInfo()
    {
        var image = _h.CreateImage(1 << 20, "hd.img");
        _h.AddDisk(image);

        var hd = Block("hd0");
        var inserted = hd["inserted"]!;

        Assert.Multiple(() =>
        {
            Assert.That((bool?)hd["removable"], Is.False);
            Assert.That(hd.ContainsKey("tray_open"), Is.False);
            Assert.That((string?)inserted["file"], Is.EqualTo(image));
            Assert.That((string?)inserted["drv"], Is.EqualTo("raw"));
            Assert.That((bool?)inserted["ro"], Is.False);
            Assert.That((long?)inserted["image"]?["virtual-size"], Is.EqualTo(1 << 20));
            Assert.That((string?)inserted["image"]?["format"], Is.EqualTo("raw"));
            Assert.That((bool?)inserted["cache"]?["writeback"], Is.True);
        });
    }

    [Test]
    public void ChangeMedium_EmitsOpenThenCloseAndInsertsImage()
    {
        _h.AddCd();
        var iso = _h.CreateImage(2 << 20, "new.iso");

        var reply = Run("blockdev-change-medium", new JsonObject { ["device"] = "cd0", ["filename"] = iso, ["format"] = "raw" });
        var moves = new[] { _client.WaitForEvent("DEVICE_TRAY_MOVED"), _client.WaitForEvent("DEVICE_TRAY_MOVED") };

        Assert.Multiple(() =>
        {
            Assert.That(reply["return"], Is.Not.Null);
            Assert.That(moves.Select(e => (bool?)e["data"]?["tray-open"]), Is.EqualTo(new bool?[] { true, false }));
            Assert.That(moves[0]["data"]?.ToJsonString(), Is.EqualTo("{\"device\":\"cd0\",\"tray-open\":true,\"id\":\"cdx\"}"));
            Assert.That((long?)Block("cd0")["inserted"]?["image"]?["virtual-size"], Is.EqualTo(2 << 20));
        });
    }

    [Test]
    public void TraySequence_OpenInsertCloseRemove_FollowsQemuRules()
    {
        _h.AddCd();
        Run("blockdev-add", new JsonObject { ["node-name"] = "n1", ["driver"] = "null-co", ["size"] = 4096 });

        var removeClosed = Run("blockdev-remove-medium", new JsonObject { ["id"] = "cdx" });
        Run("blockdev-open-tray", new JsonObject { ["device"] = "cd0" });
        var insert = Run("blockdev-insert-medium", new JsonObject { ["id"] = "cdx", ["node-name"] = "n1" });
        var insertAgain = Run("blockdev-insert-medium", new JsonObject { ["id"] = "cdx", ["node-name"] = "n1" });
        Run("blockdev-close-tray", new JsonObject { ["id"] = "cdx" });
        var closedBlock = Block("cd0");

        Assert.Multiple(() =>
        {
            Assert.That(Desc(removeClosed), Is.EqualTo("Tray of device 'cdx' is not open"));
            Assert.That(insert["return"], Is.Not.Null);
            Assert.That(Desc(insertAgain), Is.EqualTo("Node 'n1' is already in use"));
            Assert.That((string?)closedBlock["inserted"]?["node-name"], Is.EqualTo("n1"));
            Assert.That((bool?)closedBlock["tray_open"], Is.False);
        });
    }

    [Test]
    public void Eject_LockedTray_RefusedUntilForced()
    {
        var (_, drive) = _h.AddCd(_h.CreateImage(4096, "disc.iso"));
        drive.Locked = true;

        var refused = Run("eject", new JsonObject { ["device"] = "cd0" });
        var forced = Run("eject", new JsonObject { ["device"] = "cd0", ["force"] = true });

        Assert.Multiple(() =>
        {
            Assert.That(Desc(refused), Is.EqualTo("Device 'cd0' is locked and force was not specified, wait for tray to open and try again"));
            Assert.That(forced["return"], Is.Not.Null);
            Assert.That(Block("cd0").ContainsKey("inserted"), Is.False);
        });
    }

    [Test]
    public void Eject_HardDisk_NotRemovable()
    {
        _h.AddDisk(_h.CreateImage(4096, "hd.img"));

        Assert.That(Desc(Run("eject", new JsonObject { ["device"] = "hd0" })), Is.EqualTo("Device 'hd0' is not removable"));
    }

    [Test]
    public void DeviceLookup_BothOrNeither_AndUnknown_Refused()
    {
        _h.AddCd();

        var both = Run("blockdev-open-tray", new JsonObject { ["device"] = "cd0", ["id"] = "cdx" });
        var neither = Run("eject");
        var unknown = Run("eject", new JsonObject { ["device"] = "nope" });

        Assert.Multiple(() =>
        {
            Assert.That(Desc(both), Is.EqualTo("Need exactly one of 'device' and 'id'"));
            Assert.That(Desc(neither), Is.EqualTo("Need exactly one of 'device' and 'id'"));
            Assert.That((string?)unknown["error"]?["class"], Is.EqualTo("DeviceNotFound"));
            Assert.That(Desc(unknown), Is.EqualTo("Device 'nope' not found"));
        });
    }

    [Test]
    public void BlockdevAdd_RawOverFile_ListedInNamedNodes()
    {
        var image = _h.CreateImage(1 << 20, "q1.img");

        var reply = Run("blockdev-add", new JsonObject
        {
            ["node-name"] = "n1",
            ["driver"] = "raw",
            ["file"] = new JsonObject { ["driver"] = "file", ["filename"] = image },
        });
        var nodes = Run("query-named-block-nodes")["return"]!.AsArray();

        Assert.Multiple(() =>
        {
            Assert.That(reply["return"], Is.Not.Null);
            Assert.That(nodes.Select(n => (string?)n!["drv"]), Is.EquivalentTo(new[] { "raw", "file" }));
            Assert.That(nodes.Single(n => (string?)n!["drv"] == "raw")!["node-name"]!.GetValue<string>(), Is.EqualTo("n1"));
            Assert.That((string?)nodes[0]!["image"]?["filename"], Is.EqualTo(image));
        });
    }

    [TestCase("{\"node-name\":\"n2\"}", "Parameter 'driver' is missing")]
    [TestCase("{\"driver\":\"bogus\",\"node-name\":\"n2\"}", "Parameter 'driver' does not accept value 'bogus'")]
    [TestCase("{\"node-name\":\"n3\",\"driver\":\"null-co\",\"size\":4096,\"bogus\":1}", "Parameter 'bogus' is unexpected")]
    [TestCase("{\"node-name\":\"n3\",\"driver\":\"null-co\",\"size\":\"big\"}", "Invalid parameter type for 'size', expected: integer")]
    [TestCase("{\"node-name\":\"n4\",\"driver\":\"raw\"}", "Parameter 'file' is missing")]
    [TestCase("{\"driver\":\"null-co\"}", "'node-name' must be specified for the root node")]
    [TestCase("{\"node-name\":\"n5\",\"driver\":\"raw\",\"file\":\"ghost\"}", "Cannot find device='' nor node-name='ghost'")]
    public void BlockdevAdd_BadOptions_QemuMessage(string arguments, string desc)
    {
        var reply = Run("blockdev-add", (JsonObject)JsonNode.Parse(arguments)!);

        Assert.That(Desc(reply), Is.EqualTo(desc));
    }

    [Test]
    public void BlockdevAdd_DuplicateName_Refused()
    {
        Run("blockdev-add", new JsonObject { ["node-name"] = "n1", ["driver"] = "null-co" });

        var reply = Run("blockdev-add", new JsonObject { ["node-name"] = "n1", ["driver"] = "null-co" });

        Assert.That(Desc(reply), Is.EqualTo("Duplicate nodes with node-name='n1'"));
    }

    [Test]
    public void BlockdevDel_InUse_Unknown_NotOwned_ThenDeletes()
    {
        Run("blockdev-add", new JsonObject { ["node-name"] = "n1", ["driver"] = "null-co" });
        Run("blockdev-add", new JsonObject { ["node-name"] = "n4", ["driver"] = "raw", ["file"] = "n1" });
        Run("blockdev-add", new JsonObject
        {
            ["node-name"] = "n6",
            ["driver"] = "raw",
            ["file"] = new JsonObject { ["driver"] = "null-co", ["node-name"] = "inner" },
        });

        var inUse = Run("blockdev-del", new JsonObject { ["node-name"] = "n1" });
        var unknown = Run("blockdev-del", new JsonObject { ["node-name"] = "zz" });
        var notOwned = Run("blockdev-del", new JsonObject { ["node-name"] = "inner" });
        var top = Run("blockdev-del", new JsonObject { ["node-name"] = "n4" });
        var bottom = Run("blockdev-del", new JsonObject { ["node-name"] = "n1" });

        Assert.Multiple(() =>
        {
            Assert.That(Desc(inUse), Is.EqualTo("Block device n1 is in use"));
            Assert.That(Desc(unknown), Is.EqualTo("Failed to find node with node-name='zz'"));
            Assert.That(Desc(notOwned), Is.EqualTo("Node inner is not owned by the monitor"));
            Assert.That(top["return"], Is.Not.Null);
            Assert.That(bottom["return"], Is.Not.Null);
        });
    }

    [Test]
    public void BlockResize_DeviceAndNode_AndErrors()
    {
        var (backend, drive) = _h.AddDisk(_h.CreateImage(4096, "hd.img"));
        Run("blockdev-add", new JsonObject { ["node-name"] = "w", ["driver"] = "raw", ["file"] = new JsonObject { ["driver"] = "null-co" }, ["size"] = 512 });

        var grown = Run("block_resize", new JsonObject { ["device"] = "hd0", ["size"] = 8192 });
        var negative = Run("block_resize", new JsonObject { ["device"] = "hd0", ["size"] = -1 });
        var unknown = Run("block_resize", new JsonObject { ["device"] = "zz", ["size"] = 8192 });
        var windowed = Run("block_resize", new JsonObject { ["node-name"] = "w", ["size"] = 1024 });

        Assert.Multiple(() =>
        {
            Assert.That(grown["return"], Is.Not.Null);
            Assert.That(backend.Length, Is.EqualTo(8192));
            Assert.That(Desc(negative), Is.EqualTo("Parameter 'size' expects a >0 size"));
            Assert.That(Desc(unknown), Is.EqualTo("Cannot find device='zz' nor node-name=''"));
            Assert.That(Desc(windowed), Is.EqualTo("Image format driver does not support resize"));
        });
    }

    [Test]
    public void QueryBlockstats_CountsDeviceRequests()
    {
        var (backend, drive) = _h.AddDisk(_h.CreateImage(1 << 20, "hd.img"));
        var request = new BlockRequest(drive);
        request.PrepareRead(0, new byte[4096]);
        backend.Submit(request);
        while (drive.Completed == 0)
        {
            _h.Layer.Completions.RunPending();
        }

        var stats = Run("query-blockstats")["return"]!.AsArray().Single()!;

        Assert.Multiple(() =>
        {
            Assert.That((string?)stats["device"], Is.EqualTo("hd0"));
            Assert.That((string?)stats["qdev"], Is.EqualTo("hdx"));
            Assert.That((long?)stats["stats"]?["rd_operations"], Is.EqualTo(1));
            Assert.That((long?)stats["stats"]?["rd_bytes"], Is.EqualTo(4096));
            Assert.That((bool?)stats["stats"]?["account_invalid"], Is.True);
        });
    }

    [Test]
    public void IoError_PublishedAsBlockIoErrorEvent()
    {
        var (backend, _) = _h.AddDisk(_h.CreateImage(4096, "hd.img"),
            new BlockBackendOptions { Name = "hd0", WriteErrorPolicy = BlockErrorPolicy.Stop });

        backend.ApplyErrorPolicy(isRead: false, BlockError.NoSpace);
        var error = _client.WaitForEvent("BLOCK_IO_ERROR");

        // QMP objects are unordered (QEMU writes members in its hash table's order): compare the members.
        var members = Members(error["data"]);
        Assert.That(members.Where(m => !m.StartsWith("node-name=", StringComparison.Ordinal)), Is.EquivalentTo(new[]
        {
            "device=\"hd0\"", "operation=\"write\"", "action=\"stop\"", "nospace=true", "reason=\"No space left on device\"",
        }));
        Assert.That(members.Single(m => m.StartsWith("node-name=", StringComparison.Ordinal)), Does.StartWith("node-name=\"#block"));
    }

    [Test]
    public void Cont_ResetsIoStatus()
    {
        var (backend, _) = _h.AddDisk(_h.CreateImage(4096, "hd.img"),
            new BlockBackendOptions { Name = "hd0", WriteErrorPolicy = BlockErrorPolicy.Stop });
        backend.ApplyErrorPolicy(isRead: false, BlockError.Io);
        var before = (string?)Block("hd0")["io-status"];

        Run("cont");

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.EqualTo("failed"));
            Assert.That((string?)Block("hd0")["io-status"], Is.EqualTo("ok"));
        });
    }

    [Test]
    public void QueryBlock_Qcow2WithBacking_ShowsChain()
    {
        var baseImage = _h.CreateImage(1 << 20, "base.raw");
        var overlay = Path.Combine(_h.TempDir, "top.qcow2");
        Emulator.Block.Drivers.Qcow2.Qcow2Creator.Create(overlay, new Emulator.Block.Drivers.Qcow2.Qcow2CreateOptions
        {
            Size = 1 << 20,
            BackingFile = baseImage,
            BackingFormat = "raw",
        });
        _h.Layer.OpenImage(new BlockBackendOptions { Name = "hd0" }, overlay);

        var inserted = Block("hd0")["inserted"]!;

        Assert.Multiple(() =>
        {
            Assert.That((string?)inserted["drv"], Is.EqualTo("qcow2"));
            Assert.That((int?)inserted["backing_file_depth"], Is.EqualTo(1));
            Assert.That((string?)inserted["backing_file"], Is.EqualTo(baseImage));
            Assert.That((string?)inserted["image"]?["backing-image"]?["format"], Is.EqualTo("raw"));
            Assert.That((long?)inserted["image"]?["backing-image"]?["virtual-size"], Is.EqualTo(1 << 20));
        });
    }

    [Test]
    public void ImageCorrupted_PublishedWithQapiMembers()
    {
        var broadcaster = (BlockEventBroadcaster)_h.Layer.Events;

        broadcaster.Publish(new BlockImageCorruptedEvent("hd0", "fmt", "L2 table offset 0x1234 unaligned", 4660, 512, true));
        var corrupted = _client.WaitForEvent("BLOCK_IMAGE_CORRUPTED");

        Assert.That(Members(corrupted["data"]), Is.EquivalentTo(new[]
        {
            "device=\"hd0\"", "node-name=\"fmt\"", "msg=\"L2 table offset 0x1234 unaligned\"", "offset=4660", "size=512", "fatal=true",
        }));
    }

    /// <summary>An object's members as name=value JSON texts, in no particular order.</summary>
    private static string[] Members(JsonNode? data) =>
        [.. data!.AsObject().Select(kv => $"{kv.Key}={kv.Value?.ToJsonString()}")];
}
