using System.Text.Json.Nodes;
using Emulator.Monitor.Qmp;

namespace Emulator.Monitor.Commands;

/// <summary>
/// Our own QMP commands (x- prefix: not QEMU's) to trace guest I/O at run time:
/// <c>x-emu-io-trace-start {"file": PATH}</c> and <c>x-emu-io-trace-stop</c> (returns <c>{"requests": N}</c>).
/// </summary>
internal static class IoTraceCommands
{
    public static void Register(QmpCommandTable table, IIoTraceControl control)
    {
        table.Add(new QmpCommand("x-emu-io-trace-start", [new("file", QmpType.String)], args =>
        {
            if (control.Start(args.String("file")) is { } error)
            {
                throw new QmpException(error);
            }

            return null;
        }));
        table.Add(new QmpCommand("x-emu-io-trace-stop", [], _ =>
            control.Stop() is { } requests
                ? new JsonObject { ["requests"] = requests }
                : throw new QmpException("No I/O trace is running")));
    }
}
