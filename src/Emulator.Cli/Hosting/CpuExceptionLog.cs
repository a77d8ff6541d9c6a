using Emulator.Machine.Cpu;
using Iced.Intel;

namespace Emulator.Cli.Hosting;

/// <summary>
/// Writes every processor exception and shutdown of a CPU to a text file, one line each with the
/// faulting instruction disassembled — the first thing to look at when a guest reboots in a loop or
/// hangs after a fault (QEMU's -d int,cpu_reset).
/// </summary>
internal static class CpuExceptionLog
{
    private const int MaxInstructionLength = 15;

    /// <summary>Creates FILE and subscribes; dispose the writer at the end of the run to flush it.</summary>
    public static StreamWriter Open(string path, X86Cpu cpu)
    {
        var writer = new StreamWriter(path, append: false);
        var bytes = new byte[MaxInstructionLength];
        var formatter = new NasmFormatter();
        var text = new StringOutput();
        cpu.ExceptionRaised += record =>
        {
            // Delivered: CS:EIP now is the handler; the faulting instruction's bytes are read through the
            // same translation, which a flat kernel shares. Anything unreadable is simply left out.
            var count = cpu.PeekCode(record.Eip, bytes);
            var line = record.ToString();
            if (count > 0)
            {
                var decoder = Decoder.Create(32, new ByteArrayCodeReader(bytes, 0, count), record.Eip);
                decoder.Decode(out var instruction);
                formatter.Format(instruction, text);
                line += $"  [{text.ToStringAndReset()}]";
            }

            writer.WriteLine(line);
        };
        cpu.Shutdown += () => writer.WriteLine("cpu reset: shutdown (triple fault)");
        return writer;
    }
}
