using System.Diagnostics;
using System.Text;
using Emulator.Board;
using Emulator.Cli.Boot;
using Emulator.Hosting;
using Emulator.Machine.Cpu;
using Emulator.Machine.Loop;

namespace Emulator.Cli.Tests.Boot;

/// <summary>
/// One guest booted twice from the same <c>emu boot</c> drive options, the interpreter alone as the
/// reference and the translating tier as the candidate, run by <see cref="LockstepRunner"/>. Both machines
/// are built so that they can only differ through the CPU tier: the same RTC start, idle time skipped (no
/// host sleep decides when a timer fires), disk completions delivered at fixed points that depend on the
/// guest alone (<see cref="BoardDescription.DeterministicIo"/>), writable images behind their own snapshot
/// overlays, and keys typed into both at the same instruction count.
/// </summary>
internal sealed class LockstepBoot : IDisposable
{
    /// <summary>Slices between checks of the end condition (reading the screen every slice costs more than the slice).</summary>
    private const int TextCheckInterval = 16;

    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(30);
    private static readonly DateTime RtcStart = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private readonly EmulatorHost _reference;
    private readonly EmulatorHost _candidate;
    private readonly StringBuilder _serial = new();
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private long _checks;
    private int _serialSearched;
    private TimeSpan _lastProgress;

    /// <param name="bootArgs"><c>emu boot</c>'s drive, boot-order and memory options.</param>
    /// <param name="translationThreshold">Entries before the candidate compiles a block.</param>
    /// <param name="ramCheckInterval">Slices between full RAM comparisons.</param>
    public LockstepBoot(string[] bootArgs, int translationThreshold, int ramCheckInterval = 1024)
    {
        var options = BootOptions.Parse(bootArgs);
        _reference = Build(options, CpuTier.Interpreter, _serial);
        _candidate = Build(options, CpuTier.Translator, serial: null);
        _candidate.Machine.Cpu.TranslationThreshold = translationThreshold;
        Runner = new LockstepRunner(_reference.Machine, _candidate.Machine) { RamCheckInterval = ramCheckInterval };
    }

    public PcMachine Reference => _reference.Machine;

    public PcMachine Candidate => _candidate.Machine;

    public LockstepRunner Runner { get; }

    /// <summary>What the reference wrote to COM1 so far.</summary>
    public string Serial => _serial.ToString();

    /// <summary>Runs both until the reference's screen shows <paramref name="text"/>; null, or the first divergence.</summary>
    public string? RunUntilScreen(string text, long maxInstructions) =>
        RunUntilScreen(screen => screen.Contains(text, StringComparison.Ordinal), maxInstructions);

    /// <summary>Runs both until <paramref name="done"/> holds for the reference's screen; null, or the first divergence.</summary>
    public string? RunUntilScreen(Func<string, bool> done, long maxInstructions) =>
        Runner.Run(m => Due(m) && done(m.Chipset.Vga.ScreenDump()), maxInstructions);

    /// <summary>Runs both until the reference's COM1 output holds <paramref name="text"/>; null, or the first divergence.</summary>
    public string? RunUntilSerial(string text, long maxInstructions) =>
        Runner.Run(m => Due(m) && SerialHolds(text), maxInstructions);

    /// <summary>Types <paramref name="keys"/> into both machines between two slices.</summary>
    public void Type(string keys)
    {
        Reference.Chipset.Keyboard.TypeText(keys);
        Candidate.Chipset.Keyboard.TypeText(keys);
    }

    /// <summary>One line for the test output: instructions, slices, the candidate's translated share, wall time.</summary>
    public string Summary()
    {
        var cpu = Candidate.Cpu;
        var total = Math.Max(1, Candidate.InstructionsExecuted);
        return $"{Reference.InstructionsExecuted:N0} instructions in lockstep, {Runner.Slices:N0} slices, {_wall.Elapsed.TotalSeconds:0.0} s wall; "
            + $"candidate: {cpu.BlocksTranslated:N0} blocks compiled, {cpu.TranslatedInstructions:N0} instructions translated ({100.0 * cpu.TranslatedInstructions / total:0.0}%)";
    }

    public void Dispose()
    {
        foreach (var host in new[] { _reference, _candidate })
        {
            foreach (var problem in host.Shutdown())
            {
                TestContext.Out.WriteLine($"shutdown: {problem}");
            }

            host.Dispose();
        }
    }

    /// <summary>Whether COM1 output holds <paramref name="text"/>, searching only what arrived since the last search (a kernel log is long).</summary>
    private bool SerialHolds(string text)
    {
        var from = Math.Max(0, _serialSearched - text.Length);
        var found = _serial.ToString(from, _serial.Length - from).Contains(text, StringComparison.Ordinal);
        _serialSearched = _serial.Length;
        return found;
    }

    /// <summary>Every few slices, and always once the reference stopped running (the runner then asks once more).</summary>
    private bool Due(PcMachine machine)
    {
        if (++_checks % TextCheckInterval != 0)
        {
            return machine.State != MachineRunState.Running;
        }

        // A long run says how far it got, so a run cut short still tells where the tiers agreed up to.
        if (_wall.Elapsed - _lastProgress >= ProgressInterval)
        {
            _lastProgress = _wall.Elapsed;
            var tail = Math.Min(_serial.Length, 200);
            var serial = _serial.ToString(_serial.Length - tail, tail).TrimEnd();
            var lastLine = serial[(serial.LastIndexOf('\n') + 1)..];
            TestContext.Progress.WriteLine($"{TestContext.CurrentContext.Test.Name}: {Summary()}; last serial line: {lastLine}");
        }

        return true;
    }

    private static EmulatorHost Build(BootOptions options, CpuTier tier, StringBuilder? serial)
    {
        var description = new BoardDescription
        {
            DeterministicIo = true,
            Machine = new PcMachineOptions
            {
                RamSize = options.MemoryBytes,
                RtcStartTime = RtcStart,
                Idle = IdleMode.Skip,
                SerialOutput = b => serial?.Append((char)b),
            },
            BootOrder = options.BootOrder,
        };
        var host = new EmulatorHost(description);
        host.Machine.Cpu.Tier = tier;
        host.Board.Populate(description with { Drives = BootCommand.Drives(host.Layer, options.Drives) });
        host.Machine.Start();
        return host;
    }
}
