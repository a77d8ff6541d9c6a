using Emulator.Block.Backend;
using Emulator.Block.Drivers.Blkdebug;
using Emulator.Block.Drivers.File;
using Emulator.Machine.Loop;
using static Emulator.Devices.Tests.Ide.IdeRig;

namespace Emulator.Devices.Tests.Ide;

/// <summary>
/// I/O errors injected with blkdebug and what the guest sees under each rerror/werror policy
/// (QEMU's ide_handle_rw_error): report aborts, ignore carries on, stop pauses the machine with the
/// guest seeing nothing and re-issues the request on resume.
/// </summary>
public class IdeErrorPolicyTests
{
    private const byte ReadSectors = 0x20;
    private const byte WriteSectors = 0x30;
    private const byte WriteDma = 0xCA;
    private const byte FlushCache = 0xE7;
    private const byte Packet = 0xA0;
    private const byte Read10 = 0x28;
    private const byte IllegalRequest = 0x5;
    private const uint PrdTable = 0x1000;
    private const uint Buffer = 0x10000;

    private IdeRig _rig = null!;
    private string _path = null!;

    [SetUp]
    public void SetUp()
    {
        _rig = new IdeRig();
        _path = _rig.CreateImageFile(8 << 20);
    }

    [TearDown]
    public void TearDown() => _rig.Dispose();

    private BlockBackend AttachFaultyDisk(BlkdebugRule rule, BlockErrorPolicy writeError = BlockErrorPolicy.Report, BlockErrorPolicy readError = BlockErrorPolicy.Report)
    {
        var backend = _rig.Layer.CreateBackend(
            new BlockBackendOptions { Name = "hd0", WriteErrorPolicy = writeError, ReadErrorPolicy = readError },
            new BlkdebugNodeOptions(new FileNodeOptions(_path)) { Rules = [rule] });
        _rig.Ide.AttachDisk(0, 0, backend);
        _rig.Start();
        return backend;
    }

    private static byte[] Payload(int length) => Enumerable.Range(0, length).Select(i => (byte)(i ^ 0x5A)).ToArray();

    [Test]
    public void ReadSectors_ReportPolicy_AbortsWithIrqAndEvent()
    {
        AttachFaultyDisk(new BlkdebugRule { Operations = BlkdebugOperations.Read });

        _rig.Lba28Command(ReadSectors, 0, 1);
        _rig.Settle();
        var irq = _rig.Irq;

        Assert.Multiple(() =>
        {
            Assert.That((irq, _rig.In(Status), _rig.In(ErrorReg)), Is.EqualTo((true, (byte)(Drdy | Err), Abrt)));
            Assert.That(_rig.Events.OfType<BlockIoErrorEvent>().Single().Action, Is.EqualTo("report"));
        });
    }

    [Test]
    public void WriteSectors_IgnorePolicy_CompletesAsIfWritten()
    {
        AttachFaultyDisk(new BlkdebugRule { Operations = BlkdebugOperations.Write }, writeError: BlockErrorPolicy.Ignore);

        _rig.Lba28Command(WriteSectors, 0, 1);
        _rig.WriteData(Payload(SectorSize));
        _rig.Settle();

        Assert.Multiple(() =>
        {
            Assert.That(_rig.In(Status), Is.EqualTo(Drdy | Dsc));
            Assert.That(_rig.Events.OfType<BlockIoErrorEvent>().Single().Action, Is.EqualTo("ignore"));
        });
    }

    [Test]
    public void WriteSectors_StopPolicy_PausesThenResumeLandsData()
    {
        var backend = AttachFaultyDisk(new BlkdebugRule { Operations = BlkdebugOperations.Write, Once = true }, writeError: BlockErrorPolicy.Stop);
        var payload = Payload(SectorSize);

        _rig.Lba28Command(WriteSectors, 33, 1);
        _rig.WriteData(payload);
        _rig.Settle();
        var pausedState = _rig.Machine.State;
        var pausedStatus = _rig.In(Status);
        var pausedIrq = _rig.Irq;
        var ioStatus = backend.IoStatus;

        _rig.Machine.Resume();
        _rig.Settle();
        var onDisk = new byte[SectorSize];
        backend.Read(33 * SectorSize, onDisk);

        Assert.Multiple(() =>
        {
            Assert.That(pausedState, Is.EqualTo(MachineRunState.IoError));
            Assert.That(pausedStatus & Bsy, Is.Not.Zero, "the guest sees the command still running");
            Assert.That(pausedIrq, Is.False);
            Assert.That(ioStatus, Is.EqualTo(IoStatus.Failed));
            Assert.That(_rig.In(Status), Is.EqualTo(Drdy | Dsc));
            Assert.That(onDisk, Is.EqualTo(payload));
        });
    }

    [Test]
    public void WriteDma_StopPolicy_ResumeLandsData()
    {
        var backend = AttachFaultyDisk(new BlkdebugRule { Operations = BlkdebugOperations.Write, Once = true }, writeError: BlockErrorPolicy.Stop);
        var payload = Payload(4 * SectorSize);
        _rig.Machine.Memory.Write(Buffer, payload);
        _rig.EnableBusMaster();
        _rig.OutL(BmPrd, PrdTable);
        _rig.WritePrdTable(PrdTable, (Buffer, payload.Length, true));

        _rig.Lba28Command(WriteDma, 64, 4);
        _rig.Out(BmCommand, BmStart);
        _rig.Settle();
        var paused = (_rig.Machine.State, _rig.In(BmStatus));
        _rig.Machine.Resume();
        _rig.Settle();
        var onDisk = new byte[payload.Length];
        backend.Read(64 * SectorSize, onDisk);

        Assert.Multiple(() =>
        {
            Assert.That(paused, Is.EqualTo((MachineRunState.IoError, BmActive)));
            Assert.That(onDisk, Is.EqualTo(payload));
            Assert.That(_rig.In(BmStatus), Is.EqualTo(BmInterrupt));
        });
    }

    [Test]
    public void ReadSectors_StopPolicy_ResumeDeliversData()
    {
        AttachFaultyDisk(new BlkdebugRule { Operations = BlkdebugOperations.Read, Once = true, RangeStart = 12 * SectorSize, RangeEnd = 13 * SectorSize }, readError: BlockErrorPolicy.Stop);

        _rig.Lba28Command(ReadSectors, 12, 1);
        _rig.Settle();
        var paused = _rig.Machine.State;
        _rig.Machine.Resume();
        _rig.Settle();

        Assert.Multiple(() =>
        {
            Assert.That(paused, Is.EqualTo(MachineRunState.IoError));
            Assert.That(_rig.ReadData(SectorSize), Is.EqualTo(PatternBytes(12 * SectorSize, SectorSize)));
        });
    }

    [Test]
    public void WriteDma_ReportPolicy_AbortsAndEngineInactive()
    {
        AttachFaultyDisk(new BlkdebugRule { Operations = BlkdebugOperations.Write });
        _rig.EnableBusMaster();
        _rig.OutL(BmPrd, PrdTable);
        _rig.WritePrdTable(PrdTable, (Buffer, SectorSize, true));

        _rig.Lba28Command(WriteDma, 0, 1);
        _rig.Out(BmCommand, BmStart);
        _rig.Settle();

        Assert.That((_rig.In(Status), _rig.In(ErrorReg), _rig.In(BmStatus)), Is.EqualTo(((byte)(Drdy | Err), Abrt, BmInterrupt)));
    }

    [Test]
    public void FlushCache_Failure_Aborts()
    {
        AttachFaultyDisk(new BlkdebugRule { Operations = BlkdebugOperations.Flush });

        _rig.Out(Command, FlushCache);
        _rig.Settle();

        Assert.That((_rig.In(Status), _rig.In(ErrorReg)), Is.EqualTo(((byte)(Drdy | Err), Abrt)));
    }

    [Test]
    public void AtapiRead_ReportPolicy_IllegalRequestSense()
    {
        var cd = _rig.Layer.CreateBackend(
            new BlockBackendOptions { Name = "cd0" },
            new BlkdebugNodeOptions(new FileNodeOptions(_path)) { Rules = [new BlkdebugRule { Operations = BlkdebugOperations.Read }] });
        _rig.Ide.AttachCdrom(0, 0, cd);
        _rig.Start();
        var cdb = new byte[12];
        cdb[0] = Read10;
        cdb[8] = 1;

        _rig.Out(LbaMid, 0xFE);
        _rig.Out(LbaHigh, 0xFF);
        _rig.Out(Command, Packet);
        _rig.WriteData(cdb);
        _rig.Settle();

        Assert.That((_rig.In(Status), _rig.In(ErrorReg)), Is.EqualTo(((byte)(Drdy | Err), (byte)(IllegalRequest << 4))));
    }
}
