using Emulator.Block.Nbd;

namespace Emulator.Block.Tests.Nbd;

/// <summary>Header layouts against proto.md's byte offsets, written out by hand from the spec.</summary>
public class NbdWireTests
{
    private const uint RequestMagic = 0x25609513;
    private const uint SimpleMagic = 0x67446698;
    private const uint StructuredMagic = 0x668E33EF;

    [Test]
    public void RequestHeader_Write_SpecLayout()
    {
        var bytes = new byte[28];

        new NbdRequestHeader(NbdCommandFlags.Fua, NbdCommand.Write, 0x0102030405060708, 0x1000, 0x200).Write(bytes);

        Assert.That(Convert.ToHexString(bytes), Is.EqualTo("25609513" + "0001" + "0001" + "0102030405060708" + "0000000000001000" + "00000200"));
    }

    [Test]
    public void RequestHeader_RoundTrip_SameFields()
    {
        var bytes = new byte[28];
        var header = new NbdRequestHeader(NbdCommandFlags.NoHole, NbdCommand.WriteZeroes, 42, 1 << 20, 4096);
        header.Write(bytes);

        var ok = NbdRequestHeader.TryRead(bytes, out var read);

        Assert.That((ok, read), Is.EqualTo((true, header)));
    }

    [Test]
    public void RequestHeader_WrongMagic_NotAccepted()
    {
        var bytes = new byte[28];
        new NbdRequestHeader(NbdCommandFlags.None, NbdCommand.Read, 1, 0, 512).Write(bytes);
        bytes[0] ^= 0xFF;

        Assert.That(NbdRequestHeader.TryRead(bytes, out _), Is.False);
    }

    [TestCase(RequestMagic, 0)]
    [TestCase(SimpleMagic, 16)]
    [TestCase(StructuredMagic, 20)]
    [TestCase(0xDEADBEEFu, 0)]
    public void ReplyHeader_SizeForMagic(uint magic, int size)
    {
        var bytes = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, magic);

        Assert.That(NbdReplyHeader.SizeFor(bytes), Is.EqualTo(size));
    }

    [Test]
    public void ReplyHeader_Structured_ParsesSpecLayout()
    {
        var bytes = Convert.FromHexString("668E33EF" + "0001" + "0005" + "00000000000000AB" + "0000000C");

        var header = NbdReplyHeader.Read(bytes);

        Assert.That(header, Is.EqualTo(new NbdReplyHeader(true, NbdErrno.None, NbdReplyFlags.Done, NbdReplyType.BlockStatus, 0xAB, 12)));
    }

    [Test]
    public void ReplyHeader_SimpleError_ParsesErrno()
    {
        var bytes = Convert.FromHexString("67446698" + "00000016" + "0000000000000007");

        var header = NbdReplyHeader.Read(bytes);

        Assert.That((header.Structured, header.Error, header.Cookie, header.IsDone), Is.EqualTo((false, NbdErrno.Invalid, 7ul, true)));
    }
}
