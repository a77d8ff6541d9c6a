using Emulator.Machine.Bus;
using Emulator.Machine.Lifecycle;

namespace Emulator.Machine.Interrupts;

/// <summary>
/// The PC/AT pair of 8259A PICs (<see cref="Pic8259"/>): master at ports 0x20/0x21 with IRQs 0-7,
/// slave at 0xA0/0xA1 with IRQs 8-15 cascaded into master input 2, and the PIIX edge/level
/// control registers (ELCR) at 0x4D0/0x4D1. Implements the CPU's INTR/INTA view: an
/// acknowledge with nothing left to serve returns the spurious vector of level 7 (IRQ 7 on the
/// master, IRQ 15 on the slave, which also puts the cascade level in the master's ISR as the
/// real pair does). Devices drive inputs through <see cref="IsaIrqLines"/> or <see cref="SetIrq"/>.
/// Limitations: poll mode on the master does not cascade into the slave.
/// </summary>
public sealed class PicPair : IPortDevice, IInterruptAcknowledge, IIsaIrqSink, IResettable
{
    /// <summary>Master input the slave's INT output is wired to on the PC/AT board.</summary>
    public const int CascadeIrq = 2;

    /// <summary>The master's command port (ICW1, OCW2, OCW3; reads IRR or ISR).</summary>
    public const ushort MasterCommandPort = 0x20;
    /// <summary>The master's data port (ICW2-4, OCW1 the mask).</summary>
    public const ushort MasterDataPort = 0x21;
    /// <summary>The slave's command port.</summary>
    public const ushort SlaveCommandPort = 0xA0;
    /// <summary>The slave's data port.</summary>
    public const ushort SlaveDataPort = 0xA1;

    /// <summary>PIIX3 datasheet 2.3.x ELCR1/ELCR2: edge (0) or level (1) per IRQ.</summary>
    public const ushort ElcrMasterPort = 0x4D0;
    /// <summary>ELCR of the slave, IRQs 8-15 (PIIX3; IRQ 8 and 13 are always edge).</summary>
    public const ushort ElcrSlavePort = 0x4D1;

    /// <summary>ISA IRQs served by the pair.</summary>
    public const int IrqCount = 16;

    // IRQ 0, 1, 2 (timer, keyboard, cascade) are always edge; so are IRQ 8 and 13 on the slave (PIIX3 ELCR).
    private const byte ElcrMasterWritable = 0xF8;
    private const byte ElcrSlaveWritable = 0xDE;
    private const int IrqsPerChip = 8;
    private const int SpuriousLevel = 7;
    private const ushort ChipSelectMask = 0x01;

    private bool _lastOutput;
    private uint _inputLevels;

    /// <summary>Both chips at power-on (uninitialised; the guest's ICW sequence programs them).</summary>
    public PicPair()
    {
        Master = new Pic8259(isMaster: true, ElcrMasterWritable);
        Slave = new Pic8259(isMaster: false, ElcrSlaveWritable);
    }

    /// <summary>Raised when the INTR output to the CPU changes; the loop uses it to wake a halted CPU.</summary>
    public event Action<bool>? InterruptOutputChanged;

    /// <summary>Raised on every ISA input level change (IRQ 0-15, level), before the chips see it.</summary>
    public event Action<int, bool>? InputChanged;

    /// <summary>When set, input changes are only reported through <see cref="InputChanged"/>, not driven into the chips (qtest interception).</summary>
    public bool Intercepted { get; set; }

    /// <summary>The chip for IRQs 0-7.</summary>
    public Pic8259 Master { get; }

    /// <summary>The chip for IRQs 8-15, cascaded into master input <see cref="CascadeIrq"/>.</summary>
    public Pic8259 Slave { get; }

    /// <inheritdoc/>
    /// <remarks>
    /// The INTR level as of the last change: every change of either chip goes through this pair, which
    /// recomputes it (<see cref="Update"/>), so the CPU's check at each instruction boundary is a field read
    /// rather than two priority scans.
    /// </remarks>
    public bool InterruptPending => _lastOutput;

    /// <summary>Both chips back to power-on (uninitialized, ELCRs edge), which drops INTR.</summary>
    public void Reset()
    {
        Master.Reset();
        Slave.Reset();
        Update();
    }

    /// <summary>Claims the master, slave and ELCR ports.</summary>
    public void RegisterPorts(IoPortBus bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.Register(this, MasterCommandPort, 2);
        bus.Register(this, SlaveCommandPort, 2);
        bus.Register(this, ElcrMasterPort, 2);
    }

    /// <summary>Drives ISA IRQ <paramref name="irq"/> (0-15) to <paramref name="level"/>.</summary>
    public void SetIrq(int irq, bool level)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(irq);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(irq, IrqCount);
        var bit = 1u << irq;
        if (((_inputLevels & bit) != 0) != level)
        {
            _inputLevels = level ? _inputLevels | bit : _inputLevels & ~bit;
            InputChanged?.Invoke(irq, level);
        }

        if (Intercepted)
        {
            return;
        }

        if (irq < IrqsPerChip)
        {
            Master.SetInput(irq, level);
        }
        else
        {
            Slave.SetInput(irq - IrqsPerChip, level);
        }

        Update();
    }

    /// <inheritdoc/>
    public byte Acknowledge()
    {
        var irq = Master.HighestRequest();
        byte vector;
        if (irq < 0)
        {
            vector = (byte)(Master.VectorBase + SpuriousLevel);
        }
        else
        {
            Master.Acknowledge(irq);
            if (irq == CascadeIrq)
            {
                var slaveIrq = Slave.HighestRequest();
                if (slaveIrq < 0)
                {
                    vector = (byte)(Slave.VectorBase + SpuriousLevel);
                }
                else
                {
                    Slave.Acknowledge(slaveIrq);
                    vector = (byte)(Slave.VectorBase + slaveIrq);
                }
            }
            else
            {
                vector = (byte)(Master.VectorBase + irq);
            }
        }

        Update();
        return vector;
    }

    /// <inheritdoc/>
    public uint Read(ushort port, PortWidth width)
    {
        byte value = port switch
        {
            MasterCommandPort => Master.ReadCommand(),
            MasterDataPort => Master.ReadData(),
            SlaveCommandPort => Slave.ReadCommand(),
            SlaveDataPort => Slave.ReadData(),
            ElcrMasterPort => Master.Elcr,
            ElcrSlavePort => Slave.Elcr,
            _ => byte.MaxValue,
        };

        // A poll read acknowledges, which can change the outputs.
        Update();
        return value;
    }

    /// <inheritdoc/>
    public void Write(ushort port, PortWidth width, uint value)
    {
        var b = (byte)value;
        switch (port)
        {
            case ElcrMasterPort:
                Master.WriteElcr(b);
                break;
            case ElcrSlavePort:
                Slave.WriteElcr(b);
                break;
            default:
                var chip = port < SlaveCommandPort ? Master : Slave;
                if ((port & ChipSelectMask) == 0)
                {
                    chip.WriteCommand(b);
                }
                else
                {
                    chip.WriteData(b);
                }

                break;
        }

        Update();
    }

    private void Update()
    {
        Master.SetInput(CascadeIrq, Slave.Output);
        var output = Master.Output;
        if (output != _lastOutput)
        {
            _lastOutput = output;
            InterruptOutputChanged?.Invoke(output);
        }
    }
}
