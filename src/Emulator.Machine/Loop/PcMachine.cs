using System.Diagnostics;
using Emulator.Machine.Bus;
using Emulator.Machine.Cpu;
using Emulator.Machine.Interrupts;
using Emulator.Machine.Lifecycle;
using Emulator.Machine.Memory;
using Emulator.Machine.Pci;
using Emulator.Machine.Platform;
using Emulator.Machine.Timers;

namespace Emulator.Machine.Loop;

/// <summary>
/// A PC: guest memory, the port bus, the CPU, the PC chipset and the virtual clock, and the loop
/// that runs them (DESIGN.md "Threads and time").
/// <para>
/// One thread runs the loop. Each iteration has one fixed point where posted work (monitor
/// commands, host input), loop sources (block completions) and resets run; then the CPU runs a
/// slice of at most <see cref="PcMachineOptions.SliceInstructions"/>, ending at the next timer
/// deadline; then the virtual clock advances by the instructions executed times
/// <see cref="PcMachineOptions.NanosecondsPerInstruction"/>, firing due timers. Time depends only on
/// the instruction count, so the same image and input give the same run. A halted CPU with a timer
/// pending sleeps until it is due (or jumps there, <see cref="IdleMode.Skip"/>); with I/O in flight
/// it sleeps until a completion wakes it; with neither it is idle.
/// </para>
/// </summary>
public sealed class PcMachine
{
    /// <summary>Longest single sleep of an idle loop, so host input and monitor commands are never kept waiting long.</summary>
    private const long MaxIdleSleepNs = 100_000_000;
    private const long NanosecondsPerTick = 100;

    /// <summary>qtest-mode polling before sleeping: 1/20000 s = 50 µs.</summary>
    private const long QtestPollDivisor = 20_000;

    private readonly PcMachineOptions _options;
    private readonly MachineWorkQueue _work = new();
    private readonly List<IMachineLoopSource> _sources = [];
    private readonly List<IMachineDevice> _devices = [];
    private readonly Dictionary<IMachineDevice, DeviceHooks> _hooks = new(ReferenceEqualityComparer.Instance);
    private readonly ManualResetEventSlim _wake = new(false);
    private ResetKind? _pendingReset;
    private bool _started;
    private bool _watchedPortWritten;
    private ushort? _watchedPort;
    private int _looping;
    private long _sliceStart;

    /// <summary>
    /// Builds the whole PC (memory, port bus, chipset with its ports claimed, I/O APIC mapping, CPU) in state <see
    /// cref="MachineRunState.Prelaunch"/>. Devices are added and firmware loaded before the first <see cref="Run"/>.
    /// Throws <see cref="ArgumentOutOfRangeException"/> for an unusable <see cref="PcMachineOptions.RamSize"/>.
    /// </summary>
    public PcMachine(PcMachineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        Memory = new GuestMemory(options.RamSize);
        Ports = new IoPortBus();
        Clock = new VirtualClock();
        Chipset = new PcChipset(Clock, Memory, Memory, new PcChipsetOptions
        {
            RamBelowFourGigabytes = (ulong)options.RamSize,
            RtcStartTime = options.RtcStartTime,
            FloppyA = options.FloppyA,
            FloppyB = options.FloppyB,
            SerialOutput = options.SerialOutput,
            DebugConsoleOutput = options.DebugConsoleOutput,
            ExitRequested = status => Exit(status),
            ResetRequested = GuestReset,
            PowerOffRequested = () => GuestShutdown(guestReset: false),
            HasVga = options.Vga,
            HasCom1 = options.SerialPort,
        });
        Install(Chipset);
        Chipset.HostBridge.PamChanged += ApplyPam;

        // The i440FX's power-on PAM registers (all zero) put 0xC0000-0xFFFFF on the PCI side.
        for (var pam = 0; pam < I440fxHostBridge.PamCount; pam++)
        {
            ApplyPam(pam, Chipset.HostBridge.GetPam(pam));
        }
        Memory.RegisterMmio((uint)IoApic.DefaultBaseAddress, IoApic.MmioSize, new IoApicMmio(Chipset.IoApic));
        PciMemoryBars = new PciMemoryBarMapper(Chipset.PciBus, Memory);
        Chipset.PciBus.Msi = new MsiDelivery(Memory);
        Cpu = new X86Cpu(Memory, Ports, Chipset.Pic);
        var coprocessorError = new CoprocessorErrorPort(Chipset.IrqLines[CoprocessorErrorPort.Irq], Cpu.IgnoreNumericError);
        coprocessorError.RegisterPorts(Ports);
        Cpu.FloatingPointError = coprocessorError.SetError;
        // RDTSC reads virtual time in nanoseconds, counted to the instruction inside the running slice.
        Clock.SetSliceProgress(() => (Cpu.InstructionsSoFar - _sliceStart) * _options.NanosecondsPerInstruction);
        Cpu.TimeStampCounter = () => (ulong)Clock.PreciseNow;

        // A triple fault: the chipset pulls RESET for the whole board, as QEMU's pc machine does.
        Cpu.Shutdown += GuestReset;
        Ports.PortWritten += (port, _, _) =>
        {
            if (port == _watchedPort)
            {
                _watchedPortWritten = true;
                Cpu.RequestStop();
            }
        };
    }

    /// <summary>
    /// The guest physical address space. Safe to use from the machine thread, or from others only while the loop is
    /// not running.
    /// </summary>
    public GuestMemory Memory { get; }

    /// <summary>The I/O port bus; devices register here before the loop first runs (it freezes the table).</summary>
    public IoPortBus Ports { get; }

    /// <summary>The machine's virtual time: advanced only by the loop, on the machine thread.</summary>
    public VirtualClock Clock { get; }

    /// <summary>The PC platform chips.</summary>
    public PcChipset Chipset { get; }

    /// <summary>
    /// The CPU: registers and counters to inspect between runs or from loop callbacks, never while a slice runs on
    /// another thread.
    /// </summary>
    public X86Cpu Cpu { get; }

    /// <summary>Maps PCI memory BARs into <see cref="Memory"/> as the guest programs them.</summary>
    internal PciMemoryBarMapper PciMemoryBars { get; }

    /// <summary>The current run state; changes are raised through <see cref="StateChanged"/> on the machine thread.</summary>
    public MachineRunState State { get; private set; } = MachineRunState.Prelaunch;

    /// <summary>True when the last guest-requested shutdown was a reset turned into a shutdown by -no-reboot (QEMU's reason guest-reset).</summary>
    public bool ShutdownByGuestReset { get; private set; }

    /// <summary>The status the guest exited with (isa-debug-exit: (v &lt;&lt; 1) | 1), or 0 after a quit.</summary>
    public int? ExitStatus { get; private set; }

    /// <summary>Guest instructions retired since power-on (reset does not clear it).</summary>
    public long InstructionsExecuted => Cpu.InstructionCount;

    /// <summary>True while <see cref="Run"/> is executing: posted work will be picked up at the next fixed point.</summary>
    public bool IsLooping => Volatile.Read(ref _looping) != 0;

    /// <summary>The managed id of the thread running the loop, or -1 before it first ran.</summary>
    public int MachineThreadId { get; private set; } = -1;

    /// <summary>True when called on the thread running the loop (a device callback, a fixed-point action).</summary>
    public bool IsMachineThread => Environment.CurrentManagedThreadId == MachineThreadId;

    /// <summary>Raised on the machine thread when the run state changes (the monitor turns it into STOP/RESUME).</summary>
    public event Action<MachineRunState, MachineRunState>? StateChanged;

    /// <summary>
    /// Raised once when the machine is started (<see cref="Start"/> or <see cref="StartInPrelaunch"/>), every device
    /// in place and before any instruction runs: QEMU's machine-done step, which comes before -S waits. Boards
    /// finish their set-up here (CMOS disk types, firmware tables).
    /// </summary>
    public event Action? Ready;

    /// <summary>Raised on the machine thread after a system reset (RESET event); true when the guest pulled the reset line (<see cref="ResetKind.Warm"/>), false for the host's <c>system_reset</c>.</summary>
    public event Action<bool>? ResetDone;

    /// <summary>
    /// Adds <paramref name="source"/> to the sources polled at every fixed point of the loop and hands it the loop's
    /// wake-up callback. Call before <see cref="Run"/>, from the thread that builds the machine.
    /// </summary>
    public void AddLoopSource(IMachineLoopSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        source.SetWakeup(source.WakeupEndsSlice ? WakeAndEndSlice : _wake.Set);
        _sources.Add(source);
    }

    /// <summary>The installed chip set and device models, in install order (the order a machine reset reaches them).</summary>
    public IReadOnlyList<IMachineDevice> Devices => _devices;

    /// <summary>
    /// Installs <paramref name="device"/> (<see cref="IMachineDevice"/>): it hooks its ports, PCI functions, IRQ and
    /// DMA lines through a fresh <see cref="DeviceHooks"/>, which records them; from then on every machine reset and
    /// resume reaches it. Ports can only be claimed before <see cref="Start"/>; PCI functions at any time (hotplug).
    /// Machine thread, or the thread building the machine.
    /// </summary>
    /// <returns><paramref name="device"/>.</returns>
    /// <exception cref="InvalidOperationException">The device is already installed, or a hook it needs is taken (what it had hooked is undone).</exception>
    public T Install<T>(T device)
        where T : IMachineDevice
    {
        ArgumentNullException.ThrowIfNull(device);
        if (_hooks.ContainsKey(device))
        {
            throw new InvalidOperationException($"{device.GetType().Name} is already installed.");
        }

        var hooks = new DeviceHooks(this);
        var installed = false;
        try
        {
            device.Install(hooks);
            installed = true;
        }
        finally
        {
            if (!installed)
            {
                hooks.UnhookAll();
            }
        }

        _hooks.Add(device, hooks);
        _devices.Add(device);
        return device;
    }

    /// <summary>
    /// Removes an installed device: once the machine has started a device that cannot be hot-unplugged refuses with
    /// its <see cref="IMachineDevice.HotUnplugRefusal"/>; otherwise the device finishes (<see cref="IMachineDevice.Remove"/>),
    /// then every hook recorded at install is undone and resets no longer reach it. Removing a device that is not
    /// installed does nothing. Machine thread.
    /// </summary>
    /// <exception cref="InvalidOperationException">The device refuses removal from a running machine, or it is the chip set.</exception>
    public void Remove(IMachineDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!_hooks.TryGetValue(device, out var hooks))
        {
            return;
        }

        // The chip set is the board itself: not even a machine still being built lets it go.
        if ((_started || ReferenceEquals(device, Chipset)) && device.HotUnplugRefusal is { } refusal)
        {
            throw new InvalidOperationException(refusal);
        }

        device.Remove();
        hooks.UnhookAll();
        _hooks.Remove(device);
        _devices.Remove(device);
    }

    private void ApplyPam(int index, byte value)
    {
        foreach (var (start, length, access) in I440fxHostBridge.DecodePam(index, value))
        {
            Memory.SetShadowAccess(start, length, access);
        }
    }

    /// <summary>Loads the firmware ROM (top of the first MiB, aliased below 4 GiB).</summary>
    public void LoadFirmware(ReadOnlySpan<byte> image) => Memory.LoadBios(image);

    /// <summary>Freezes the port table, resets the CPU and runs the guest from the next <see cref="Run"/>; devices must have registered their ports before.</summary>
    public void Start()
    {
        StartInPrelaunch();
        SetState(MachineRunState.Running);
    }

    /// <summary>
    /// Starts as <see cref="Start"/> does but leaves the machine in <see cref="MachineRunState.Prelaunch"/> until
    /// <see cref="Resume"/> (QEMU's -S and --preconfig: the guest has not run yet, QMP cont starts it).
    /// </summary>
    public void StartInPrelaunch()
    {
        if (_started)
        {
            throw new InvalidOperationException("The machine was already started.");
        }

        _started = true;
        Ports.Freeze();
        Cpu.Reset();
        Ready?.Invoke();
    }

    /// <summary>Runs <paramref name="work"/> on the machine thread at the next fixed point. Any thread.</summary>
    public void Post(Action work)
    {
        _work.Post(work);
        _wake.Set();
    }

    /// <summary>Pauses at the next fixed point (QMP stop, or a block policy with <see cref="MachineRunState.IoError"/>). Any thread.</summary>
    public void RequestPause(MachineRunState reason = MachineRunState.Paused)
    {
        if (reason is not (MachineRunState.Paused or MachineRunState.IoError))
        {
            throw new ArgumentException("A pause is Paused or IoError.", nameof(reason));
        }

        OnMachineThread(() =>
        {
            if (State == MachineRunState.Running)
            {
                SetState(reason);
            }
        });
    }

    /// <summary>Resumes a paused machine, or one a reset brought back to prelaunch (QMP cont). Any thread.</summary>
    public void Resume() => OnMachineThread(() =>
    {
        if (State is MachineRunState.Paused or MachineRunState.IoError || (State == MachineRunState.Prelaunch && _started))
        {
            SetState(MachineRunState.Running);
        }
    });

    /// <summary>A hard (<see cref="ResetKind.Cold"/>) system reset at the next fixed point, as the host's <c>system_reset</c> asks. Any thread.</summary>
    public void RequestReset() => OnMachineThread(() => _pendingReset = ResetKind.Cold);

    /// <summary>
    /// QMP system_reset: on the machine thread, which runs monitor commands at the loop's fixed point, the
    /// reset happens before the command returns (QEMU sends the RESET event before the command's reply);
    /// from any other thread it is <see cref="RequestReset"/>.
    /// </summary>
    public void ResetFromMonitor()
    {
        if (IsMachineThread)
        {
            _pendingReset = null;
            SystemReset(ResetKind.Cold);
        }
        else
        {
            RequestReset();
        }
    }

    /// <summary>Stops the machine for good with <paramref name="status"/> (QMP quit: 0).</summary>
    public void Exit(int status) => OnMachineThread(() =>
    {
        ExitStatus ??= status;
        SetState(MachineRunState.Shutdown);

        // Called from a port write inside the CPU's slice: end the slice at this instruction.
        Cpu.RequestStop();
    });

    /// <summary>Runs the loop on the calling thread, which becomes the machine thread, until a limit is reached.</summary>
    public RunStopReason Run(RunLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (!_started)
        {
            Start();
        }

        MachineThreadId = Environment.CurrentManagedThreadId;
        var wall = Stopwatch.StartNew();
        var startCount = Cpu.InstructionCount;
        _watchedPort = limits.UntilPortWritten;
        _watchedPortWritten = false;
        Volatile.Write(ref _looping, 1);
        try
        {
            while (true)
            {
                FixedPoint();
                var executed = Cpu.InstructionCount - startCount;
                if (Check(limits, executed, wall) is { } reason)
                {
                    return reason;
                }

                if (!_options.RunCpu)
                {
                    // qtest: only commands and completions move anything; wait for them.
                    if (limits.ReturnWhenIdle)
                    {
                        return RunStopReason.Idle;
                    }

                    Sleep(TimeSpan.FromMilliseconds(50));
                    continue;
                }

                if (State != MachineRunState.Running)
                {
                    if (limits.ReturnWhenPaused)
                    {
                        return RunStopReason.Paused;
                    }

                    Sleep(TimeSpan.FromMilliseconds(50));
                    continue;
                }

                var slice = SliceLength(limits.MaxInstructions is { } max ? max - executed : long.MaxValue);
                _sliceStart = Cpu.InstructionCount;
                var ran = Cpu.Run(slice);
                // The slice's instructions move from "in progress" to the clock before any timer fires.
                _sliceStart = Cpu.InstructionCount;
                if (ran > 0)
                {
                    Clock.Advance(ran * _options.NanosecondsPerInstruction);
                    continue;
                }

                if (Idle(limits) is { } idle)
                {
                    return idle;
                }
            }
        }
        finally
        {
            _watchedPort = null;
            Volatile.Write(ref _looping, 0);

            // Work posted while the loop was stopping runs now, so no poster waits for a loop that is gone.
            _work.RunPending();
        }
    }

    /// <summary>
    /// The guest pulled the reset line (8042, port 92h, CF9h, triple fault): a system reset at the next
    /// fixed point, or the end of the run with status 0 under <see cref="PcMachineOptions.NoReboot"/>.
    /// Runs on the machine thread, inside the CPU's slice, which it ends.
    /// </summary>
    private void GuestReset()
    {
        if (_options.NoReboot)
        {
            GuestShutdown(guestReset: true);
        }
        else
        {
            // A reset the host asked for at the same fixed point stays the hard one.
            _pendingReset ??= ResetKind.Warm;
        }

        Cpu.RequestStop();
    }

    /// <summary>
    /// The guest asked for a shutdown (ACPI soft-off, or a reset under -no-reboot): the run ends with status 0,
    /// or under <see cref="PcMachineOptions.NoShutdown"/> the machine stops in <see cref="MachineRunState.GuestShutdown"/>
    /// (QEMU's shutdown action "pause"). Runs on the machine thread, inside the CPU's slice, which it ends.
    /// </summary>
    private void GuestShutdown(bool guestReset)
    {
        ShutdownByGuestReset = guestReset;
        if (_options.NoShutdown)
        {
            SetState(MachineRunState.GuestShutdown);
            Cpu.RequestStop();
        }
        else
        {
            Exit(0);
        }
    }

    /// <summary>A loop source's work is ready (any thread): wake a sleeping loop, and end a running slice so the fixed point delivers it now.</summary>
    private void WakeAndEndSlice()
    {
        _wake.Set();
        Cpu.RequestStop();
    }

    private void OnMachineThread(Action action)
    {
        if (IsMachineThread)
        {
            action();
        }
        else
        {
            Post(action);
        }
    }

    private void SetState(MachineRunState state)
    {
        var old = State;
        if (old == state)
        {
            return;
        }

        State = state;
        StateChanged?.Invoke(old, state);
        if (state == MachineRunState.Running && old is MachineRunState.Paused or MachineRunState.IoError)
        {
            foreach (var device in _devices.ToArray())
            {
                device.Resume();
            }
        }
    }

    /// <summary>The loop's one fixed point: posted work, loop sources, reset.</summary>
    private void FixedPoint()
    {
        // Reset before draining: anything posted after the drain sets the event again and cuts a later sleep short.
        _wake.Reset();
        _work.RunPending();
        foreach (var source in _sources)
        {
            source.RunPending();
        }

        if (_pendingReset is { } kind)
        {
            _pendingReset = null;
            SystemReset(kind);
        }
    }

    /// <summary>
    /// A system reset as QEMU's pc machine does it: the CPU (which re-opens the A20 gate), then every installed
    /// device in install order (<see cref="IMachineDevice.Reset"/>: the chip set with its own PCI functions first,
    /// then the device models), then <see cref="ResetDone"/> (the monitor's RESET event, guest true for a
    /// <see cref="ResetKind.Warm"/> reset). The CPU starts again at the reset vector, so the firmware's POST runs again.
    /// </summary>
    private void SystemReset(ResetKind kind)
    {
        Cpu.Reset();
        Memory.A20Enabled = true;

        // A device the chip set's reset unplugs (an ACPI eject completing) is removed from the list meanwhile.
        foreach (var device in _devices.ToArray())
        {
            if (_hooks.ContainsKey(device))
            {
                device.Reset(kind);
            }
        }

        // QEMU (main_loop_should_exit) leaves a machine reset while it was not running (paused, stopped on an
        // I/O error, shut down under -no-shutdown) in prelaunch: cont runs it again.
        if (State is MachineRunState.Paused or MachineRunState.IoError or MachineRunState.GuestShutdown)
        {
            SetState(MachineRunState.Prelaunch);
        }

        ResetDone?.Invoke(kind == ResetKind.Warm);
    }

    private RunStopReason? Check(RunLimits limits, long executed, Stopwatch wall)
    {
        if (State == MachineRunState.Shutdown)
        {
            return RunStopReason.Exited;
        }

        if (_watchedPortWritten)
        {
            return RunStopReason.PortWritten;
        }

        if (limits.Until?.Invoke() == true)
        {
            return RunStopReason.Condition;
        }

        if (limits.MaxInstructions is { } max && executed >= max)
        {
            return RunStopReason.InstructionLimit;
        }

        return limits.WallTimeout is { } timeout && wall.Elapsed >= timeout ? RunStopReason.Timeout : null;
    }

    /// <summary>Instructions to run before the next fixed point: up to the next timer deadline, the slice length and the budget.</summary>
    private long SliceLength(long budget)
    {
        var slice = Math.Min(_options.SliceInstructions, budget);
        if (Clock.NextDeadline is { } deadline)
        {
            var untilDeadline = (deadline - Clock.Now + _options.NanosecondsPerInstruction - 1) / _options.NanosecondsPerInstruction;
            slice = Math.Min(slice, Math.Max(1, untilDeadline));
        }

        return Math.Max(1, slice);
    }

    /// <summary>The CPU is halted and nothing woke it: wait for I/O, let time reach the next timer, or report idle.</summary>
    private RunStopReason? Idle(RunLimits limits)
    {
        if (_sources.Any(s => s.HasOutstanding) || _work.HasWork)
        {
            Sleep(TimeSpan.FromMilliseconds(100));
            return null;
        }

        var interruptsOff = (Cpu.Registers.EFLAGS & (uint)Eflags.Interrupt) == 0;
        if (Clock.NextDeadline is not { } deadline || interruptsOff)
        {
            // Nothing inside the machine can wake it; only the host (keys, monitor) can.
            if (limits.ReturnWhenIdle)
            {
                return RunStopReason.Idle;
            }

            Sleep(TimeSpan.FromMilliseconds(100));
            return null;
        }

        if (_options.Idle == IdleMode.Skip)
        {
            Clock.AdvanceTo(deadline);
            return null;
        }

        var remainingNs = deadline - Clock.Now;
        var capped = remainingNs > MaxIdleSleepNs;
        var sleepNs = capped ? MaxIdleSleepNs : remainingNs;
        var started = Stopwatch.GetTimestamp();
        if (Sleep(TimeSpan.FromTicks(Math.Max(1, sleepNs / NanosecondsPerTick))))
        {
            // Woken early by the host: time moves as far as real time did.
            var elapsedNs = (long)Stopwatch.GetElapsedTime(started).TotalNanoseconds;
            Clock.AdvanceTo(Math.Min(deadline, Clock.Now + elapsedNs));
        }
        else
        {
            // Slept the whole way: land exactly on the deadline (TimeSpan's 100 ns grain must not leave it just short).
            Clock.AdvanceTo(capped ? Clock.Now + sleepNs : deadline);
        }

        return null;
    }

    /// <summary>
    /// Sleeps until woken or the timeout passes; true when woken. In qtest mode the loop first polls
    /// for a few tens of microseconds: a test harness sends commands back to back, and a polled
    /// hand-off saves a futex wake-up per command.
    /// </summary>
    private bool Sleep(TimeSpan timeout)
    {
        if (!_options.RunCpu)
        {
            var pollUntil = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / QtestPollDivisor);
            while (Stopwatch.GetTimestamp() < pollUntil)
            {
                if (_wake.IsSet)
                {
                    return true;
                }

                Thread.SpinWait(16);
            }
        }

        return _wake.Wait(timeout);
    }
}
