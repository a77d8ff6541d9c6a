using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Emulator.Machine.Bus;
using Emulator.Machine.Cpu;
using Emulator.Machine.Memory;

namespace Emulator.Machine.Tests.Cpu.Vectors;

/// <summary>
/// Runs SingleStepTests 80286 vectors on <see cref="X86Cpu"/> the way the vector README (1.6)
/// recommends: flat memory with A20 on, FLAGS loaded as (initial &amp; 0FFFh) | 2, run until the
/// HLT has executed, compare registers, FLAGS under 0FD5h and the file's undefined-flag mask, and
/// every final RAM byte (the pushed FLAGS word masked the same way for exception tests).
/// </summary>
internal sealed class VectorRunner
{
    private const int RamSize = 2 << 20;
    private const long StepLimit = 10_000;
    private const ushort ComparedFlags = 0x0FD5;
    private const ushort InitialFlagsMask = 0x0FFF;
    private const ushort ReservedFlag = 0x0002;
    private const int ParagraphShift = 4;

    /// <summary>Test addresses reach 10FFEFh (README 1.4): the first MiB plus the HMA.</summary>
    private const int TestedAddressSpace = 0x11_0000;

    private static readonly (string Name, Func<CpuRegisters, ushort> Get, Action<CpuRegisters, ushort> Set)[] Registers =
    [
        ("ax", r => r.AX, (r, v) => r.EAX = v),
        ("bx", r => r.BX, (r, v) => r.EBX = v),
        ("cx", r => r.CX, (r, v) => r.ECX = v),
        ("dx", r => r.DX, (r, v) => r.EDX = v),
        ("sp", r => r.SP, (r, v) => r.ESP = v),
        ("bp", r => r.BP, (r, v) => r.EBP = v),
        ("si", r => r.SI, (r, v) => r.ESI = v),
        ("di", r => r.DI, (r, v) => r.EDI = v),
        ("ip", r => r.IP, (r, v) => r.EIP = v),
        ("cs", r => r.CS, (r, v) => LoadSegment(r, SegmentRegister.CS, v)),
        ("ss", r => r.SS, (r, v) => LoadSegment(r, SegmentRegister.SS, v)),
        ("ds", r => r.DS, (r, v) => LoadSegment(r, SegmentRegister.DS, v)),
        ("es", r => r.ES, (r, v) => LoadSegment(r, SegmentRegister.ES, v)),
    ];

    private readonly GuestMemory _memory = new(RamSize);
    private readonly byte[] _snapshot = new byte[TestedAddressSpace];
    private readonly X86Cpu _cpu;

    public VectorRunner()
    {
        _cpu = new X86Cpu(_memory, new IoPortBus(), null);
        if (Environment.GetEnvironmentVariable(CpuTestMachine.TierVariable) == "jit")
        {
            // Every vector's instruction through the translating tier when it translates it.
            _cpu.Tier = CpuTier.Translator;
            _cpu.TranslationThreshold = 1;
            _cpu.TranslationDropLimit = int.MaxValue;
        }
    }

    /// <summary>Runs one gzipped JSON file; returns passed, run (skipped excluded) and the first failures.</summary>
    public (int Passed, int Total, List<string> Failures) RunFile(string path, string file, VectorMetadata metadata)
    {
        var flagMask = (ushort)(metadata.FlagMask(file) & ComparedFlags);
        var passed = 0;
        var total = 0;
        var failures = new List<string>();
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        while (reader.ReadLine() is { } line)
        {
            var json = line.TrimEnd(',', ' ');
            if (json.Length < 2 || json[0] != '{')
            {
                continue;
            }

            using var document = JsonDocument.Parse(json);
            var test = document.RootElement;
            var index = test.GetProperty("idx").GetInt32();
            if (metadata.Skip(file, index, test.GetProperty("hash").GetString()!))
            {
                continue;
            }

            total++;
            var failure = RunOne(test, flagMask);
            if (failure is null)
            {
                passed++;
            }
            else if (failures.Count < 3)
            {
                failures.Add($"{file} #{index} {test.GetProperty("name").GetString()}: {failure}");
            }
        }

        return (passed, total, failures);
    }

    /// <summary>
    /// Every byte the test named is zero again, so anything non-zero below the HMA's end is a write the
    /// test did not expect (README 1.6: "flag any address that is in neither final.ram nor initial.ram").
    /// </summary>
    private void CheckStrayWrites(StringBuilder failure)
    {
        _memory.Read(0, _snapshot);
        var stray = _snapshot.AsSpan().IndexOfAnyExcept((byte)0);
        if (stray < 0)
        {
            return;
        }

        failure.Append($"stray write at {stray:X5}; ");
        Array.Clear(_snapshot);
        _memory.Write(0, _snapshot);
    }

    private static void LoadSegment(CpuRegisters registers, SegmentRegister segment, ushort selector) =>
        registers.SetSegment(segment, new SegmentCache { Selector = selector, Base = (uint)selector << ParagraphShift, Limit = SegmentCache.RealModeLimit, Access = 0x93 });

    private string? RunOne(JsonElement test, ushort flagMask)
    {
        var initial = test.GetProperty("initial");
        var final = test.GetProperty("final");
        var initialRegs = initial.GetProperty("regs");
        var finalRegs = final.GetProperty("regs");
        var r = _cpu.Registers;
        foreach (var (name, _, set) in Registers)
        {
            set(r, initialRegs.GetProperty(name).GetUInt16());
        }

        LoadSegment(r, SegmentRegister.FS, 0);
        LoadSegment(r, SegmentRegister.GS, 0);
        r.EFLAGS = (uint)((initialRegs.GetProperty("flags").GetUInt16() & InitialFlagsMask) | ReservedFlag);
        _cpu.Halted = false;
        var ram = initial.GetProperty("ram");
        Span<byte> one = stackalloc byte[1];
        foreach (var cell in ram.EnumerateArray())
        {
            one[0] = (byte)cell[1].GetInt32();
            _memory.Write((uint)cell[0].GetInt32(), one);
        }

        _cpu.Run(StepLimit);
        var failure = new StringBuilder();
        if (!_cpu.Halted)
        {
            failure.Append("did not halt; ");
        }

        foreach (var (name, get, _) in Registers)
        {
            var expected = finalRegs.TryGetProperty(name, out var value) ? value.GetUInt16() : initialRegs.GetProperty(name).GetUInt16();
            var actual = get(r);
            if (actual != expected)
            {
                failure.Append($"{name}={actual:X4} want {expected:X4}; ");
            }
        }

        var expectedFlags = finalRegs.TryGetProperty("flags", out var flags) ? flags.GetUInt16() : initialRegs.GetProperty("flags").GetUInt16();
        if (((r.EFLAGS ^ expectedFlags) & flagMask) != 0)
        {
            failure.Append($"flags={r.EFLAGS:X4} want {expectedFlags:X4} (mask {flagMask:X4}); ");
        }

        var flagAddress = test.TryGetProperty("exception", out var exception) ? exception.GetProperty("flag_address").GetInt64() : -1;

        // flag_address is off by one when SP was odd; also mask the FLAGS word where a real-mode push puts it.
        var ssBase = (long)initialRegs.GetProperty("ss").GetUInt16() << ParagraphShift;
        var pushedFlags = flagAddress < 0 ? -1 : ssBase + ((initialRegs.GetProperty("sp").GetUInt16() - 2) & 0xFFFF);
        foreach (var cell in final.GetProperty("ram").EnumerateArray())
        {
            var address = (uint)cell[0].GetInt32();
            var expected = (byte)cell[1].GetInt32();
            _memory.Read(address, one);
            var byteMask = address == flagAddress || address == pushedFlags ? (byte)flagMask
                : address == flagAddress + 1 || address == pushedFlags + 1 ? (byte)(flagMask >> 8)
                : (byte)0xFF;
            if (((one[0] ^ expected) & byteMask) != 0)
            {
                failure.Append($"[{address:X5}]={one[0]:X2} want {expected:X2}; ");
            }
        }

        one[0] = 0;
        foreach (var cell in ram.EnumerateArray())
        {
            _memory.Write((uint)cell[0].GetInt32(), one);
        }

        foreach (var cell in final.GetProperty("ram").EnumerateArray())
        {
            _memory.Write((uint)cell[0].GetInt32(), one);
        }

        CheckStrayWrites(failure);
        return failure.Length == 0 ? null : failure.ToString();
    }
}
