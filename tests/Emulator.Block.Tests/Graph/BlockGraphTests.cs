using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.NullCo;
using Emulator.Block.Drivers.Raw;
using Emulator.Block.Graph;
using Emulator.Block.Tests.Support;

namespace Emulator.Block.Tests.Graph;

public class BlockGraphTests
{
    private BlockHarness _h = null!;

    [SetUp]
    public void SetUp() => _h = new BlockHarness();

    [TearDown]
    public void TearDown() => _h.Dispose();

    private BlockGraph Graph => _h.Layer.Graph;

    [Test]
    public void Open_RawOverFile_HasNamedFileEdge()
    {
        var node = Graph.Open(new RawNodeOptions(new FileNodeOptions(_h.CreateImage(4096)) { NodeName = "proto" }) { NodeName = "fmt" });

        Assert.Multiple(() =>
        {
            Assert.That(node.File!.Name, Is.EqualTo("file"));
            Assert.That(node.File.Node.NodeName, Is.EqualTo("proto"));
            Assert.That(node.File.Node.DriverName, Is.EqualTo("file"));
            Assert.That(node.Length, Is.EqualTo(4096));
        });
    }

    [Test]
    public void Open_NoName_GetsUniqueGeneratedName()
    {
        var a = Graph.Open(new NullNodeOptions());
        var b = Graph.Open(new NullNodeOptions());

        Assert.Multiple(() =>
        {
            Assert.That(a.NodeName, Does.StartWith("#block"));
            Assert.That(b.NodeName, Is.Not.EqualTo(a.NodeName));
            Assert.That(a.AutoNamed, Is.True);
        });
    }

    [Test]
    public void Open_DuplicateName_Refused()
    {
        Graph.Open(new NullNodeOptions { NodeName = "n" });

        Assert.That(() => Graph.Open(new NullNodeOptions { NodeName = "n" }),
            Throws.TypeOf<BlockOperationException>().With.Message.EqualTo("Duplicate nodes with node-name='n'"));
    }

    [Test]
    public void Open_NameOfBackend_Refused()
    {
        _h.Layer.CreateBackend(new BlockBackendOptions { Name = "drive0" });

        Assert.That(() => Graph.Open(new NullNodeOptions { NodeName = "drive0" }), Throws.TypeOf<BlockOperationException>());
    }

    [Test]
    public void Open_ChildFails_NothingLeftBehind()
    {
        Assert.That(() => Graph.Open(new RawNodeOptions(new FileNodeOptions("/nonexistent/disk.img"))),
            Throws.TypeOf<BlockOperationException>());
        Assert.That(Graph.Nodes, Is.Empty);
    }

    [Test]
    public void Open_ReferenceToExistingNode_SharesAndRefcounts()
    {
        var proto = Graph.Open(new NullNodeOptions { NodeName = "proto", Size = 8192 });

        var raw = Graph.Open(new RawNodeOptions(BlockChildOptions.Ref("proto")) { NodeName = "fmt" });

        Assert.Multiple(() =>
        {
            Assert.That(raw.File!.Node, Is.SameAs(proto));
            Assert.That(proto.RefCount, Is.EqualTo(2));
            Assert.That(Graph.ParentEdgesOf(proto).Single().Parent, Is.SameAs(raw));
        });
    }

    [Test]
    public void Open_ReferenceToMissingNode_Refused()
    {
        Assert.That(() => Graph.Open(new RawNodeOptions(BlockChildOptions.Ref("ghost"))),
            Throws.TypeOf<BlockOperationException>().With.Message.Contains("ghost"));
    }

    [Test]
    public void Unref_Parent_ReleasesChildReference()
    {
        var proto = Graph.Open(new NullNodeOptions { NodeName = "proto" });
        var raw = Graph.Open(new RawNodeOptions(BlockChildOptions.Ref("proto")));

        Graph.Unref(raw);

        Assert.Multiple(() =>
        {
            Assert.That(proto.RefCount, Is.EqualTo(1));
            Assert.That(Graph.Nodes, Is.EqualTo(new[] { proto }));
        });
    }

    [Test]
    public void Open_ReadOnlyParent_InlineChildOpenedReadOnly()
    {
        var node = Graph.Open(new RawNodeOptions(new FileNodeOptions(_h.CreateImage(4096))) { ReadOnly = true });

        Assert.That(node.File!.Node.ReadOnly, Is.True);
    }

    [Test]
    public void Open_WritableParentOverReadOnlyNode_Refused()
    {
        Graph.Open(new NullNodeOptions { NodeName = "ro", ReadOnly = true });

        Assert.That(() => Graph.Open(new RawNodeOptions(BlockChildOptions.Ref("ro"))), Throws.TypeOf<BlockOperationException>());
    }

    [Test]
    public void ProbeFormat_UnknownHeader_FallsBackToRaw()
    {
        var header = new byte[512];
        header[0] = 0x51;

        Assert.That(Graph.Drivers.ProbeFormat(header).Name, Is.EqualTo("raw"));
    }

    [Test]
    public void OpenImage_NoFormat_ProbesRawOverFile()
    {
        var backend = _h.Layer.OpenImage(new BlockBackendOptions(), _h.CreateImage(4096));

        Assert.Multiple(() =>
        {
            Assert.That(backend.FormatName, Is.EqualTo("raw"));
            Assert.That(backend.Length, Is.EqualTo(4096));
        });
    }

    [Test]
    public void OpenImage_UnknownFormat_RefusedWithName()
    {
        Assert.That(() => _h.Layer.OpenImage(new BlockBackendOptions(), _h.CreateImage(4096), "vmdk9"),
            Throws.TypeOf<BlockOperationException>().With.Message.EqualTo("Unknown driver 'vmdk9'"));
    }
}
