namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>
/// A legacy virtio-blk driver written only in qtest commands, as libqos's virtio-pci driver does it:
/// BAR0 and bus mastering through configuration mechanism #1, queue 0 by PFN, one IN request of one
/// sector, the used ring polled while virtual time steps. Constants are the spec's (virtio 1.2
/// sections 2.7, 4.1.4.8 and 5.2.6), not the device model's.
/// </summary>
internal sealed class QtestVirtioBlkGuest(LineChannel qtest, int slot)
{
    public const int Sector = 512;

    private const ushort ConfigAddressPort = 0xCF8;
    private const ushort ConfigDataPort = 0xCFC;
    private const uint ConfigEnable = 0x8000_0000;
    private const int Bar0 = 0x10;
    private const int CommandRegister = 0x04;
    private const uint IoSpaceAndBusMaster = 0x0005;
    private const ushort IoBase = 0xC100;

    /// <summary>Legacy header registers (no MSI-X enabled).</summary>
    private const int GuestFeatures = 0x04;
    private const int QueuePfn = 0x08;
    private const int QueueSize = 0x0C;
    private const int QueueSelect = 0x0E;
    private const int QueueNotify = 0x10;
    private const int DeviceStatus = 0x12;

    private const uint Acknowledge = 1;
    private const uint Driver = 2;
    private const uint DriverOk = 4;

    private const int PageShift = 12;
    private const uint Rings = 0x10_0000;
    private const uint Header = 0x11_0000;
    private const uint Data = 0x11_1000;
    private const uint Status = 0x11_2000;
    private const int DescriptorBytes = 16;
    private const int PageBytes = 1 << PageShift;
    private const uint Next = 1;
    private const uint Write = 2;
    private const uint TypeIn = 0;
    private const uint TypeOut = 1;
    private const int HostFeatures = 0x00;
    private const int PollSteps = 200;

    /// <summary>
    /// How long (host time) a request may take before it counts as unanswered, beyond the first
    /// <see cref="PollSteps"/> polls: the completion comes from an I/O thread, which a loaded host
    /// can hold up. Zero where an unanswered request is expected (the machine stopped on an error).
    /// </summary>
    public TimeSpan Patience { get; set; } = TimeSpan.FromSeconds(20);
    private const int StepNanoseconds = 100_000;

    private int _queueSize;
    private uint _usedAddress;
    private uint _usedBefore;

    /// <summary>Places BAR0, enables I/O and bus mastering, negotiates no features, sets up queue 0.</summary>
    public void Initialize()
    {
        ConfigWrite(Bar0, IoBase);
        ConfigWrite(CommandRegister, IoSpaceAndBusMaster);
        qtest.Command($"outb 0x{IoBase + DeviceStatus:x} 0");
        qtest.Command($"outb 0x{IoBase + DeviceStatus:x} 0x{Acknowledge | Driver:x}");
        qtest.Command($"outl 0x{IoBase + GuestFeatures:x} 0");
        qtest.Command($"outw 0x{IoBase + QueueSelect:x} 0");
        _queueSize = (int)qtest.Value($"inw 0x{IoBase + QueueSize:x}");
        qtest.Command($"outl 0x{IoBase + QueuePfn:x} 0x{Rings >> PageShift:x}");
        qtest.Command($"outb 0x{IoBase + DeviceStatus:x} 0x{Acknowledge | Driver | DriverOk:x}");
    }

    /// <summary>Reads one sector; returns the status byte and the data, or null when the used ring never moved.</summary>
    public (uint Status, string DataHex)? ReadSector(ulong sector)
    {
        qtest.Command($"writel 0x{Header:x} 0x{TypeIn:x}");
        qtest.Command($"writel 0x{Header + 4:x} 0");
        qtest.Command($"writeq 0x{Header + 8:x} 0x{sector:x}");
        qtest.Command($"writeb 0x{Status:x} 0xff");
        Descriptor(0, Header, 16, Next, 1);
        Descriptor(1, Data, Sector, Next | Write, 2);
        Descriptor(2, Status, 1, Write, 0);
        var avail = Rings + (uint)(DescriptorBytes * _queueSize);
        var used = (avail + 4 + (uint)(2 * _queueSize) + 2 + PageBytes - 1) & ~(uint)(PageBytes - 1);
        qtest.Command($"writew 0x{avail + 4:x} 0");
        qtest.Command($"writew 0x{avail + 2:x} 1");
        qtest.Command($"outw 0x{IoBase + QueueNotify:x} 0");
        if (!UsedIndexMoves(used, 0, Patience))
        {
            return null;
        }

        var data = qtest.Command($"read 0x{Data:x} {Sector}");
        return (qtest.Value($"readb 0x{Status:x}"), data["OK 0x".Length..]);
    }

    /// <summary>The device's legacy feature bits (virtio 1.2 section 4.1.4.8: the low 32 bits).</summary>
    public uint ReadHostFeatures() => qtest.Value($"inl 0x{IoBase + HostFeatures:x}");

    /// <summary>Writes one sector filled with <paramref name="fill"/>; returns the status byte, or null when the used ring never moved.</summary>
    public uint? WriteSector(ulong sector, byte fill)
    {
        qtest.Command($"writel 0x{Header:x} 0x{TypeOut:x}");
        qtest.Command($"writel 0x{Header + 4:x} 0");
        qtest.Command($"writeq 0x{Header + 8:x} 0x{sector:x}");
        qtest.Command($"memset 0x{Data:x} {Sector} 0x{fill:x}");
        qtest.Command($"writeb 0x{Status:x} 0xff");
        Descriptor(0, Header, 16, Next, 1);
        Descriptor(1, Data, Sector, Next, 2);
        Descriptor(2, Status, 1, Write, 0);
        var avail = Rings + (uint)(DescriptorBytes * _queueSize);
        var used = (avail + 4 + (uint)(2 * _queueSize) + 2 + PageBytes - 1) & ~(uint)(PageBytes - 1);
        var usedIndex = qtest.Value($"readw 0x{used + 2:x}");
        (_usedAddress, _usedBefore) = (used, usedIndex);
        var availIndex = qtest.Value($"readw 0x{avail + 2:x}");
        qtest.Command($"writew 0x{avail + 4 + (2 * (availIndex % _queueSize)):x} 0");
        qtest.Command($"writew 0x{avail + 2:x} 0x{availIndex + 1:x}");
        qtest.Command($"outw 0x{IoBase + QueueNotify:x} 0");
        return UsedIndexMoves(used, usedIndex, Patience) ? qtest.Value($"readb 0x{Status:x}") : null;
    }

    /// <summary>
    /// After a <see cref="WriteSector"/> that returned null (its request is held, the machine stopped on an
    /// I/O error), waits for that request to complete; returns its status byte, or null when it never does.
    /// </summary>
    public uint? AwaitLastWrite(TimeSpan? patience = null) =>
        UsedIndexMoves(_usedAddress, _usedBefore, patience ?? Patience) ? qtest.Value($"readb 0x{Status:x}") : null;

    /// <summary>
    /// Polls the used ring's index at <paramref name="used"/> while virtual time steps: true once it is no
    /// longer <paramref name="before"/>, false after <see cref="PollSteps"/> polls and <paramref name="patience"/> of host time.
    /// </summary>
    private bool UsedIndexMoves(uint used, uint before, TimeSpan patience)
    {
        var polling = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < PollSteps || polling.Elapsed < patience; i++)
        {
            if (qtest.Value($"readw 0x{used + 2:x}") != before)
            {
                return true;
            }

            qtest.Command($"clock_step {StepNanoseconds}");
        }

        return false;
    }

    private void Descriptor(int index, uint address, int length, uint flags, int next)
    {
        var at = Rings + (uint)(DescriptorBytes * index);
        qtest.Command($"writeq 0x{at:x} 0x{address:x}");
        qtest.Command($"writel 0x{at + 8:x} 0x{length:x}");
        qtest.Command($"writew 0x{at + 12:x} 0x{flags:x}");
        qtest.Command($"writew 0x{at + 14:x} 0x{next:x}");
    }

    private void ConfigWrite(int offset, uint value)
    {
        qtest.Command($"outl 0x{ConfigAddressPort:x} 0x{ConfigEnable | (uint)(slot << 11) | (uint)offset:x}");
        qtest.Command($"outl 0x{ConfigDataPort:x} 0x{value:x}");
    }
}
