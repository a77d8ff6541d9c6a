using Emulator.Machine.Bus;
using Emulator.Machine.Interrupts;

namespace Emulator.Machine.Tests.Interrupts;

public class PicPairTests
{
    // 8259A datasheet command words, as a BIOS programs them.
    private const byte Icw1EdgeWithIcw4 = 0x11;
    private const byte Icw1LevelWithIcw4 = 0x19;
    private const byte Icw4Mode8086 = 0x01;
    private const byte Icw4AutoEoi8086 = 0x03;
    private const byte Icw3MasterSlaveOnIrq2 = 0x04;
    private const byte Icw3SlaveId2 = 0x02;
    private const byte MasterBase = 0x08;
    private const byte SlaveBase = 0x70;
    private const byte Ocw2NonSpecificEoi = 0x20;
    private const byte Ocw2SpecificEoiBase = 0x60;
    private const byte Ocw3ReadIrr = 0x0A;
    private const byte Ocw3ReadIsr = 0x0B;
    private const byte Ocw3Poll = 0x0C;

    private IoPortBus _bus = null!;
    private PicPair _pic = null!;
    private IsaIrqLines _lines = null!;

    [SetUp]
    public void SetUp()
    {
        _bus = new IoPortBus();
        _pic = new PicPair();
        _pic.RegisterPorts(_bus);
        _bus.Freeze();
        _lines = new IsaIrqLines(_pic);
    }

    private void InitBoth(byte masterIcw1 = Icw1EdgeWithIcw4, byte icw4 = Icw4Mode8086)
    {
        _bus.WriteByte(0x20, masterIcw1);
        _bus.WriteByte(0x21, MasterBase);
        _bus.WriteByte(0x21, Icw3MasterSlaveOnIrq2);
        _bus.WriteByte(0x21, icw4);
        _bus.WriteByte(0xA0, Icw1EdgeWithIcw4);
        _bus.WriteByte(0xA1, SlaveBase);
        _bus.WriteByte(0xA1, Icw3SlaveId2);
        _bus.WriteByte(0xA1, icw4);
    }

    [Test]
    public void Init_IcwSequence_LeavesAllUnmasked()
    {
        InitBoth();

        Assert.That(_bus.ReadByte(0x21), Is.Zero);
    }

    [Test]
    public void Ocw1_WrittenAfterInit_ReadsBackAsMask()
    {
        InitBoth();

        _bus.WriteByte(0x21, 0xB8);

        Assert.That(_bus.ReadByte(0x21), Is.EqualTo(0xB8));
    }

    [Test]
    public void Acknowledge_Irq1Raised_ReturnsMasterBasePlusOne()
    {
        InitBoth();
        _lines[1].Raise();

        Assert.That(_pic.Acknowledge(), Is.EqualTo(MasterBase + 1));
    }

    [Test]
    public void Irq_Masked_DoesNotAssertIntr()
    {
        InitBoth();
        _bus.WriteByte(0x21, 0x02);

        _lines[1].Raise();

        Assert.That(_pic.InterruptPending, Is.False);
    }

    [Test]
    public void Irq_MaskedThenUnmasked_AssertsIntr()
    {
        InitBoth();
        _bus.WriteByte(0x21, 0x02);
        _lines[1].Raise();

        _bus.WriteByte(0x21, 0x00);

        Assert.That(_pic.InterruptPending, Is.True);
    }

    [Test]
    public void Acknowledge_TwoRequests_LowerIrqNumberWins()
    {
        InitBoth();
        _lines[4].Raise();
        _lines[3].Raise();

        Assert.That(_pic.Acknowledge(), Is.EqualTo(MasterBase + 3));
    }

    [Test]
    public void Acknowledge_SetsIsrBitVisibleThroughOcw3()
    {
        InitBoth();
        _lines[3].Raise();
        _pic.Acknowledge();

        _bus.WriteByte(0x20, Ocw3ReadIsr);

        Assert.That(_bus.ReadByte(0x20), Is.EqualTo(0x08));
    }

    [Test]
    public void Ocw3ReadIrr_PendingEdge_ShowsRequest()
    {
        InitBoth();
        _bus.WriteByte(0x21, 0xFF);
        _lines[5].Raise();

        _bus.WriteByte(0x20, Ocw3ReadIrr);

        Assert.That(_bus.ReadByte(0x20), Is.EqualTo(0x20));
    }

    [Test]
    public void InService_LowerPriorityRequest_IsHeldUntilEoi()
    {
        InitBoth();
        _lines[1].Raise();
        _pic.Acknowledge();

        _lines[5].Raise();

        Assert.That(_pic.InterruptPending, Is.False);
    }

    [Test]
    public void NonSpecificEoi_ReleasesHeldLowerPriorityRequest()
    {
        InitBoth();
        _lines[1].Raise();
        _pic.Acknowledge();
        _lines[5].Raise();

        _bus.WriteByte(0x20, Ocw2NonSpecificEoi);

        Assert.That(_pic.Acknowledge(), Is.EqualTo(MasterBase + 5));
    }

    [Test]
    public void InService_HigherPriorityRequest_NestsImmediately()
    {
        InitBoth();
        _lines[5].Raise();
        _pic.Acknowledge();

        _lines[1].Raise();

        Assert.That(_pic.Acknowledge(), Is.EqualTo(MasterBase + 1));
    }

    [Test]
    public void SpecificEoi_ClearsOnlyNamedIsrBit()
    {
        InitBoth();
        _lines[5].Raise();
        _pic.Acknowledge();
        _lines[1].Raise();
        _pic.Acknowledge();

        _bus.WriteByte(0x20, Ocw2SpecificEoiBase | 5);
        _bus.WriteByte(0x20, Ocw3ReadIsr);

        Assert.That(_bus.ReadByte(0x20), Is.EqualTo(0x02));
    }

    [Test]
    public void Acknowledge_SlaveIrq10_ReturnsSlaveVectorAndSetsBothIsrs()
    {
        InitBoth();
        _lines[10].Raise();

        var vector = _pic.Acknowledge();
        _bus.WriteByte(0x20, Ocw3ReadIsr);
        _bus.WriteByte(0xA0, Ocw3ReadIsr);

        Assert.Multiple(() =>
        {
            Assert.That(vector, Is.EqualTo(SlaveBase + 2));
            Assert.That(_bus.ReadByte(0x20), Is.EqualTo(0x04));
            Assert.That(_bus.ReadByte(0xA0), Is.EqualTo(0x04));
        });
    }

    [Test]
    public void Cascade_SlaveMaskedAtMasterIrq2_BlocksSlaveRequests()
    {
        InitBoth();
        _bus.WriteByte(0x21, 0x04);

        _lines[14].Raise();

        Assert.That(_pic.InterruptPending, Is.False);
    }

    [Test]
    public void Acknowledge_NothingPending_ReturnsSpuriousIrq7Vector()
    {
        InitBoth();

        Assert.That(_pic.Acknowledge(), Is.EqualTo(MasterBase + 7));
    }

    [Test]
    public void Acknowledge_SpuriousOnMaster_DoesNotSetIsr()
    {
        InitBoth();
        _pic.Acknowledge();

        _bus.WriteByte(0x20, Ocw3ReadIsr);

        Assert.That(_bus.ReadByte(0x20), Is.Zero);
    }

    [Test]
    public void Acknowledge_EdgeRequestEachRaise_OnlyOnePerRisingEdge()
    {
        InitBoth();
        _lines[3].Raise();
        _pic.Acknowledge();
        _bus.WriteByte(0x20, Ocw2NonSpecificEoi);

        _lines[3].Raise();

        Assert.That(_pic.InterruptPending, Is.False);
    }

    [Test]
    public void Elcr_WrittenForIrq11_ReadsBack()
    {
        _bus.WriteByte(0x4D1, 0x08);

        Assert.That(_bus.ReadByte(0x4D1), Is.EqualTo(0x08));
    }

    [Test]
    public void Elcr_TimerKeyboardCascadeBits_AreNotWritable()
    {
        _bus.WriteByte(0x4D0, 0xFF);

        Assert.That(_bus.ReadByte(0x4D0), Is.EqualTo(0xF8));
    }

    [Test]
    public void LevelIrq_StillAssertedAfterEoi_RequestsAgain()
    {
        InitBoth();
        _bus.WriteByte(0x4D1, 0x08);
        _lines[11].Raise();
        _pic.Acknowledge();

        _bus.WriteByte(0xA0, Ocw2NonSpecificEoi);
        _bus.WriteByte(0x20, Ocw2NonSpecificEoi);

        Assert.That(_pic.Acknowledge(), Is.EqualTo(SlaveBase + 3));
    }

    [Test]
    public void LevelIrq_LoweredBeforeAcknowledge_WithdrawsRequest()
    {
        InitBoth();
        _bus.WriteByte(0x4D0, 0x20);
        _lines[5].Raise();

        _lines[5].Lower();

        Assert.That(_pic.InterruptPending, Is.False);
    }

    [Test]
    public void Icw1LevelTriggered_AppliesToAllInputs()
    {
        InitBoth(masterIcw1: Icw1LevelWithIcw4);
        _lines[3].Raise();
        _pic.Acknowledge();

        _bus.WriteByte(0x20, Ocw2NonSpecificEoi);

        Assert.That(_pic.InterruptPending, Is.True);
    }

    [Test]
    public void Poll_PendingIrq6_ReturnsRequestBitAndLevel()
    {
        InitBoth();
        _bus.WriteByte(0x21, 0x00);
        _lines[6].Raise();

        _bus.WriteByte(0x20, Ocw3Poll);

        Assert.That(_bus.ReadByte(0x20), Is.EqualTo(0x86));
    }

    [Test]
    public void Poll_Read_AcknowledgesTheRequest()
    {
        InitBoth();
        _lines[6].Raise();
        _bus.WriteByte(0x20, Ocw3Poll);
        _bus.ReadByte(0x20);

        _bus.WriteByte(0x20, Ocw3ReadIsr);

        Assert.That(_bus.ReadByte(0x20), Is.EqualTo(0x40));
    }

    [Test]
    public void Poll_NothingPending_ReturnsZero()
    {
        InitBoth();

        _bus.WriteByte(0x20, Ocw3Poll);

        Assert.That(_bus.ReadByte(0x20), Is.Zero);
    }

    [Test]
    public void AutoEoi_Acknowledge_LeavesIsrClear()
    {
        InitBoth(icw4: Icw4AutoEoi8086);
        _lines[4].Raise();
        _pic.Acknowledge();

        _bus.WriteByte(0x20, Ocw3ReadIsr);

        Assert.That(_bus.ReadByte(0x20), Is.Zero);
    }

    [Test]
    public void RotateOnNonSpecificEoi_ServedLevelBecomesLowestPriority()
    {
        InitBoth();
        _lines[1].Raise();
        _pic.Acknowledge();
        _bus.WriteByte(0x20, 0xA0);

        _lines[1].Lower();
        _lines[1].Raise();
        _lines[4].Raise();

        Assert.That(_pic.Acknowledge(), Is.EqualTo(MasterBase + 4));
    }

    [Test]
    public void InterruptOutputChanged_RaisedOnFirstRequest()
    {
        InitBoth();
        var seen = new List<bool>();
        _pic.InterruptOutputChanged += seen.Add;

        _lines[0].Raise();

        Assert.That(seen, Is.EqualTo(new[] { true }));
    }

    [Test]
    public void Acknowledge_SlaveRequestWithdrawnBeforeInta_SpuriousIrq15AndMasterIsrCascadeSet()
    {
        InitBoth();
        _lines[10].Raise();
        _bus.WriteByte(0xA1, 0x04);

        var vector = _pic.Acknowledge();
        _bus.WriteByte(0x20, Ocw3ReadIsr);

        Assert.Multiple(() =>
        {
            Assert.That(vector, Is.EqualTo(SlaveBase + 7));
            Assert.That(_bus.ReadByte(0x20), Is.EqualTo(0x04));
        });
    }

    [Test]
    public void SpecialMaskMode_MaskedInServiceLevel_AllowsLowerPriority()
    {
        InitBoth();
        _lines[1].Raise();
        _pic.Acknowledge();
        _bus.WriteByte(0x21, 0x02);
        _bus.WriteByte(0x20, 0x68);

        _lines[5].Raise();

        Assert.That(_pic.Acknowledge(), Is.EqualTo(MasterBase + 5));
    }

    [Test]
    public void SpecialFullyNested_SlaveInService_HigherSlaveLevelStillInterrupts()
    {
        InitBoth(icw4: 0x11);
        _lines[12].Raise();
        _pic.Acknowledge();

        _lines[9].Raise();

        Assert.That(_pic.Acknowledge(), Is.EqualTo(SlaveBase + 1));
    }

    [Test]
    public void NotSpecialFullyNested_SlaveInService_HigherSlaveLevelWaits()
    {
        InitBoth();
        _lines[12].Raise();
        _pic.Acknowledge();

        _lines[9].Raise();

        Assert.That(_pic.InterruptPending, Is.False);
    }
}
