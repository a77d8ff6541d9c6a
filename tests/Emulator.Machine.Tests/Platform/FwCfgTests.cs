using System.Buffers.Binary;
using System.Text;
using Emulator.Machine.Bus;
using Emulator.Machine.Platform;

namespace Emulator.Machine.Tests.Platform;

public class FwCfgTests
{
    private const ushort Selector = 0x510;
    private const ushort Data = 0x511;
    private const ushort KeySignature = 0x0000;
    private const ushort KeyId = 0x0001;
    private const ushort KeyRamSize = 0x0003;
    private const ushort KeyFileDir = 0x0019;
    private const ulong Ram = 64UL << 20;

    private IoPortBus _bus = null!;
    private FwCfg _fwCfg = null!;

    [SetUp]
    public void SetUp()
    {
        _fwCfg = new FwCfg(Ram);
        _bus = new IoPortBus();
        _fwCfg.RegisterPorts(_bus);
    }

    private byte[] ReadItem(ushort key, int length)
    {
        _bus.Write(Selector, PortWidth.Word, key);
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = _bus.ReadByte(Data);
        }

        return bytes;
    }

    [Test]
    public void Signature_ReadsQemu()
    {
        _bus.Freeze();

        Assert.That(Encoding.ASCII.GetString(ReadItem(KeySignature, 4)), Is.EqualTo("QEMU"));
    }

    [Test]
    public void Id_ReportsTraditionalInterfaceOnly()
    {
        _bus.Freeze();

        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(ReadItem(KeyId, 4)), Is.EqualTo(1u));
    }

    [Test]
    public void RamSize_ReadsLittleEndian64()
    {
        _bus.Freeze();

        Assert.That(BinaryPrimitives.ReadUInt64LittleEndian(ReadItem(KeyRamSize, 8)), Is.EqualTo(Ram));
    }

    [Test]
    public void Data_PastEndOfItem_ReadsZero()
    {
        _bus.Freeze();

        Assert.That(ReadItem(KeySignature, 6)[4..], Is.EqualTo(new byte[] { 0, 0 }));
    }

    [Test]
    public void Select_AgainSameKey_RestartsAtOffsetZero()
    {
        _bus.Freeze();
        ReadItem(KeySignature, 2);

        Assert.That(ReadItem(KeySignature, 1)[0], Is.EqualTo((byte)'Q'));
    }

    [Test]
    public void FileDirectory_NoFiles_CountIsZero()
    {
        _bus.Freeze();

        Assert.That(BinaryPrimitives.ReadUInt32BigEndian(ReadItem(KeyFileDir, 4)), Is.Zero);
    }

    [Test]
    public void FileDirectory_TwoFiles_SortedByNameWithSizeAndKey()
    {
        _fwCfg.AddFile("etc/zeta", [1, 2, 3]);
        _fwCfg.AddFile("etc/alpha", [9]);
        _bus.Freeze();

        var dir = ReadItem(KeyFileDir, 4 + (2 * 64));
        var first = dir[4..68];

        Assert.Multiple(() =>
        {
            Assert.That(BinaryPrimitives.ReadUInt32BigEndian(dir), Is.EqualTo(2u));
            Assert.That(BinaryPrimitives.ReadUInt32BigEndian(first), Is.EqualTo(1u));
            Assert.That(BinaryPrimitives.ReadUInt16BigEndian(first.AsSpan(4)), Is.EqualTo(0x20));
            Assert.That(Encoding.ASCII.GetString(first, 8, 9), Is.EqualTo("etc/alpha"));
        });
    }

    [Test]
    public void File_SelectedByDirectoryKey_ReadsContents()
    {
        _fwCfg.AddFile("etc/zeta", [1, 2, 3]);
        _fwCfg.AddFile("etc/alpha", [9]);
        _bus.Freeze();

        Assert.That(ReadItem(0x21, 3), Is.EqualTo(new byte[] { 1, 2, 3 }));
    }

    [Test]
    public void AddFile_DuplicateName_Throws()
    {
        _fwCfg.AddFile("etc/x", [1]);

        Assert.That(() => _fwCfg.AddFile("etc/x", [2]), Throws.ArgumentException);
    }

    [Test]
    public void Selector_ByteRead_ReturnsDataLikeQemu()
    {
        _bus.Freeze();
        _bus.Write(Selector, PortWidth.Word, KeySignature);

        Assert.That(_bus.ReadByte(Selector), Is.EqualTo((byte)'Q'));
    }

    [Test]
    public void AddFile_NameLongerThan55_Throws()
    {
        Assert.That(() => _fwCfg.AddFile(new string('x', 56), [1]), Throws.ArgumentException);
    }

    [Test]
    public void Selector_UnknownKey_ReadsZeros()
    {
        _bus.Freeze();

        Assert.That(ReadItem(0x7777, 4), Is.All.Zero);
    }
}
