using System.Diagnostics;
using Emulator.Machine.Loop;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Loop;

public class PcMachineTests
{
    private const ushort CodeSegment = 0x1000;
    private const uint CounterAddress = 0x0500;
    private const ushort DebugExit = 0x501;
    private const byte TimerVector = 0x08;

    /// <summary>A started machine running <paramref name="build"/> at 1000:0000 in real mode, stack below it.</summary>
    private static PcMachine Boot(Action<Assembler> build, IdleMode idle = IdleMode.Skip)
    {
        var machine = new PcMachine(new PcMachineOptions { Idle = idle, RtcStartTime = new DateTime(2026, 1, 1) });
        var a = new Assembler(16);
        build(a);
        using var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), 0);
        machine.Memory.Write((uint)CodeSegment << 4, stream.ToArray());
        machine.Start();
        var r = machine.Cpu.Registers;
        r.CS = CodeSegment;
        r.EIP = 0;
        r.SS = 0;
        r.ESP = 0x7000;
        r.DS = 0;
        return machine;
    }

    /// <summary>Guest code: program the PICs (vector 08h) and the PIT (mode 2, <paramref name="pitCount"/>), install an IRQ0 handler that counts at 0500h, then HLT until <paramref name="ticks"/> ticks and exit with the count.</summary>
    private static void TickCounter(Assembler a, ushort pitCount, ushort ticks)
    {
        var handler = a.CreateLabel();
        var wait = a.CreateLabel();
        var start = a.CreateLabel();
        a.jmp(start);
        a.Label(ref handler);
        a.inc(__word_ptr[CounterAddress]);
        a.push(ax);
        a.mov(al, 0x20);
        a.@out(0x20, al);
        a.pop(ax);
        a.iret();
        a.Label(ref start);
        a.cli();
        a.mov(__word_ptr[CounterAddress], 0);
        a.mov(__word_ptr[TimerVector * 4], 2);
        a.mov(__word_ptr[(TimerVector * 4) + 2], CodeSegment);
        foreach (var (port, value) in new (byte, byte)[] { (0x20, 0x11), (0x21, TimerVector), (0x21, 0x04), (0x21, 0x01), (0x21, 0xFE) })
        {
            a.mov(al, value);
            a.@out(port, al);
        }

        a.mov(al, 0x34);
        a.@out(0x43, al);
        a.mov(al, (byte)pitCount);
        a.@out(0x40, al);
        a.mov(al, (byte)(pitCount >> 8));
        a.@out(0x40, al);
        a.sti();
        a.Label(ref wait);
        a.hlt();
        a.cmp(__word_ptr[CounterAddress], ticks);
        a.jb(wait);
        a.mov(al, __byte_ptr[CounterAddress]);
        a.mov(dx, DebugExit);
        a.@out(dx, al);
        a.cli();
        a.hlt();
    }

    [Test]
    public void Run_InstructionBudget_StopsExactlyThere()
    {
        var machine = Boot(a =>
        {
            var self = a.CreateLabel();
            a.Label(ref self);
            a.jmp(self);
        });

        var reason = machine.Run(RunLimits.Instructions(12_345));

        Assert.Multiple(() =>
        {
            Assert.That(reason, Is.EqualTo(RunStopReason.InstructionLimit));
            Assert.That(machine.InstructionsExecuted, Is.EqualTo(12_345));
            Assert.That(machine.Clock.Now, Is.EqualTo(123_450), "10 ns per instruction");
        });
    }

    [Test]
    public void Run_DebugExitWrite_ExitsWithQemuStatus()
    {
        var machine = Boot(a =>
        {
            a.mov(dx, DebugExit);
            a.mov(al, 5);
            a.@out(dx, al);
            a.cli();
            a.hlt();
        });

        var reason = machine.Run(RunLimits.UntilIdle);

        Assert.Multiple(() =>
        {
            Assert.That(reason, Is.EqualTo(RunStopReason.Exited));
            Assert.That(machine.ExitStatus, Is.EqualTo(11), "(5 << 1) | 1");
            Assert.That(machine.State, Is.EqualTo(MachineRunState.Shutdown));
        });
    }

    [Test]
    public void Run_UntilPortWritten_StopsAfterThatWrite()
    {
        var machine = Boot(a =>
        {
            var self = a.CreateLabel();
            a.mov(al, (byte)'x');
            a.@out(0xE9, al);
            a.Label(ref self);
            a.jmp(self);
        });

        var reason = machine.Run(new RunLimits { UntilPortWritten = 0xE9, MaxInstructions = 1_000_000 });

        Assert.Multiple(() =>
        {
            Assert.That(reason, Is.EqualTo(RunStopReason.PortWritten));
            Assert.That(machine.InstructionsExecuted, Is.LessThan(100_000));
        });
    }

    [Test]
    public void Run_HaltedWithInterruptsOff_Idle()
    {
        var machine = Boot(a =>
        {
            a.cli();
            a.hlt();
        });

        Assert.That(machine.Run(RunLimits.UntilIdle), Is.EqualTo(RunStopReason.Idle));
    }

    [Test]
    public void Run_PitTicksWakeHalt_TimeMovesToDeadlines()
    {
        // Count 11932 ≈ 10 ms per tick at 1.193182 MHz.
        var machine = Boot(a => TickCounter(a, 11932, 20));

        var reason = machine.Run(new RunLimits { MaxInstructions = 10_000_000, ReturnWhenIdle = true });

        Assert.Multiple(() =>
        {
            Assert.That(reason, Is.EqualTo(RunStopReason.Exited));
            Assert.That(machine.ExitStatus, Is.EqualTo((20 << 1) | 1));
            Assert.That(machine.Clock.Now, Is.InRange(199_000_000L, 201_000_000L), "20 ticks of 10 ms");
            Assert.That(machine.InstructionsExecuted, Is.LessThan(2_000), "halted between ticks, not spinning");
        });
    }

    [Test]
    public void Run_SameGuestTwice_SameInstructionCountAndTime()
    {
        var first = Boot(a => TickCounter(a, 1193, 50));
        var second = Boot(a => TickCounter(a, 1193, 50));

        first.Run(RunLimits.UntilIdle);
        second.Run(RunLimits.UntilIdle);

        Assert.Multiple(() =>
        {
            Assert.That(second.InstructionsExecuted, Is.EqualTo(first.InstructionsExecuted));
            Assert.That(second.Clock.Now, Is.EqualTo(first.Clock.Now));
            Assert.That(first.ExitStatus, Is.EqualTo((50 << 1) | 1));
        });
    }

    [Test]
    public void Run_IdleModeSleep_WaitsForTimerWithoutSpinning()
    {
        // Three ticks of about 50 ms: real time passes, host CPU does not.
        var machine = Boot(a => TickCounter(a, 59659, 3), IdleMode.Sleep);
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();

        var reason = machine.Run(RunLimits.UntilIdle);
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;

        Assert.Multiple(() =>
        {
            Assert.That(reason, Is.EqualTo(RunStopReason.Exited));
            Assert.That(wall.Elapsed, Is.GreaterThan(TimeSpan.FromMilliseconds(120)));
            Assert.That(cpu, Is.LessThan(wall.Elapsed * 0.5), $"cpu {cpu.TotalMilliseconds} ms over {wall.Elapsed.TotalMilliseconds} ms");
        });
    }

    [Test]
    public void RequestPause_FromOtherThread_PausesAndResumes()
    {
        var machine = Boot(a =>
        {
            var self = a.CreateLabel();
            a.Label(ref self);
            a.jmp(self);
        });
        var changes = new List<(MachineRunState From, MachineRunState To)>();
        machine.StateChanged += (from, to) => changes.Add((from, to));
        var pauser = new Thread(() =>
        {
            Thread.Sleep(20);
            machine.RequestPause();
        });
        pauser.Start();

        var first = machine.Run(new RunLimits { ReturnWhenPaused = true, WallTimeout = TimeSpan.FromSeconds(10) });
        pauser.Join();
        machine.Resume();
        var second = machine.Run(RunLimits.Instructions(1000));

        Assert.Multiple(() =>
        {
            Assert.That(first, Is.EqualTo(RunStopReason.Paused));
            Assert.That(second, Is.EqualTo(RunStopReason.InstructionLimit));
            Assert.That(changes, Is.EqualTo(new[] { (MachineRunState.Running, MachineRunState.Paused), (MachineRunState.Paused, MachineRunState.Running) }));
        });
    }

    [Test]
    public void LoopSource_CompletionFromOtherThread_WakesHaltedLoopAndRunsOnMachineThread()
    {
        var machine = Boot(a =>
        {
            var self = a.CreateLabel();
            a.sti();
            a.Label(ref self);
            a.hlt();
            a.jmp(self);
        }, IdleMode.Sleep);
        var source = new FakeSource();
        machine.AddLoopSource(source);
        source.Outstanding = true;
        var producer = new Thread(() =>
        {
            Thread.Sleep(30);
            source.Complete();
        });
        producer.Start();

        var reason = machine.Run(new RunLimits { Until = () => source.Delivered > 0, WallTimeout = TimeSpan.FromSeconds(10) });
        producer.Join();

        Assert.Multiple(() =>
        {
            Assert.That(reason, Is.EqualTo(RunStopReason.Condition));
            Assert.That(source.DeliveredOnThread, Is.EqualTo(machine.MachineThreadId));
        });
    }

    [TestCase(true, TestName = "LoopSource_WorkReadyMidSlice_DeliveredAfterTheCurrentInstruction")]
    [TestCase(false, TestName = "LoopSource_WorkReadyMidSliceForASourceKeepingSliceEnds_DeliveredWhenTheSliceEnds")]
    public void LoopSource_WorkReadyMidSlice_DeliveredWhereTheSourceAsks(bool endsSlice)
    {
        // The guest rings a port and spins; the port's handler makes the source's work ready, as an I/O
        // thread's completion does (the wake-up may come from any thread; here it is the machine thread,
        // so the instruction counts are exact).
        const ushort SignalPort = 0x0510;
        const int SliceInstructions = 20_000;
        var machine = Boot(a =>
        {
            var self = a.CreateLabel();
            a.mov(dx, SignalPort);
            a.@out(dx, al);
            a.Label(ref self);
            a.jmp(self);
        });
        var source = new FakeSource { EndsSlice = endsSlice, Outstanding = true, Counter = () => machine.Cpu.InstructionsSoFar };
        machine.AddLoopSource(source);
        long signalledAt = -1;
        machine.Ports.PortWritten += (port, _, _) =>
        {
            if (port == SignalPort)
            {
                signalledAt = machine.Cpu.InstructionsSoFar;
                source.Complete();
            }
        };

        machine.Run(new RunLimits { Until = () => source.Delivered > 0, WallTimeout = TimeSpan.FromSeconds(10) });

        // The count includes the OUT while its port write runs, so "right after it" is the same count.
        var after = source.DeliveredAt - signalledAt;
        Assert.That(after, endsSlice ? Is.Zero : Is.GreaterThanOrEqualTo(SliceInstructions - 2), $"signalled at {signalledAt}, delivered at {source.DeliveredAt}");
    }

    private sealed class FakeSource : IMachineLoopSource
    {
        private Action? _wake;
        private volatile bool _ready;

        public bool Outstanding { get; set; }

        public int Delivered { get; private set; }

        public int DeliveredOnThread { get; private set; }

        public bool EndsSlice { get; init; } = true;

        public Func<long>? Counter { get; init; }

        public long DeliveredAt { get; private set; }

        public bool WakeupEndsSlice => EndsSlice;

        public bool HasOutstanding => Outstanding;

        public void Complete()
        {
            _ready = true;
            _wake?.Invoke();
        }

        public int RunPending()
        {
            if (!_ready)
            {
                return 0;
            }

            _ready = false;
            Outstanding = false;
            Delivered++;
            DeliveredOnThread = Environment.CurrentManagedThreadId;
            DeliveredAt = Counter?.Invoke() ?? 0;
            return 1;
        }

        public void SetWakeup(Action wakeup) => _wake = wakeup;
    }
}
