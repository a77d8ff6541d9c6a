using System.Globalization;
using System.Runtime.InteropServices;

namespace Emulator.Cli.Img;

/// <summary>
/// qemu-img's progress report (util/qemu-progress.c): with <c>-p</c>, <c>    (12.34/100%)</c> and a
/// carriage return on stdout at the start, at the end and whenever the job has moved on by more than
/// one percent since the last line, then a newline at the end. qemu-img 7.2 prints the same whether
/// or not stdout is a terminal (a log shows every line, separated by \r). Without <c>-p</c> nothing is
/// printed unless the process receives SIGUSR1: the next report then goes to stderr, ending in a newline.
/// </summary>
internal sealed class ImgProgress : IDisposable
{
    /// <summary>Percent the job must advance before the next line: qemu-img's min_skip for convert.</summary>
    public const float ConvertMinSkip = 1.0f;

    /// <summary>qemu-img's min_skip for compare.</summary>
    public const float CompareMinSkip = 2.0f;

    /// <summary>SIGUSR1 on Linux: asks a job running without -p for one report.</summary>
    private const int SignalUser1 = 10;

    private readonly TextWriter _stdout;
    private readonly TextWriter _stderr;
    private readonly bool _enabled;
    private readonly float _minSkip;
    private readonly PosixSignalRegistration? _signal;
    private float _current;
    private float _lastPrint;
    private int _reportRequested;

    public ImgProgress(TextWriter stdout, TextWriter stderr, bool enabled, float minSkip = ConvertMinSkip)
    {
        _stdout = stdout;
        _stderr = stderr;
        _enabled = enabled;
        _minSkip = minSkip;
        if (!enabled && OperatingSystem.IsLinux())
        {
            _signal = PosixSignalRegistration.Create((PosixSignal)SignalUser1, context =>
            {
                context.Cancel = true;
                RequestReport();
            });
        }
    }

    /// <summary>What SIGUSR1 does: the next report is printed (to stderr) even without -p.</summary>
    public void RequestReport() => Volatile.Write(ref _reportRequested, 1);

    /// <summary>Reports that <paramref name="percent"/> of the job is done.</summary>
    public void Report(double percent)
    {
        var current = (float)Math.Min(percent, 100);
        _current = current;
        if (current > _lastPrint + _minSkip || current == 100 || current == 0)
        {
            _lastPrint = current;
            Print();
        }
    }

    /// <summary>Ends the report line (with -p).</summary>
    public void End()
    {
        if (_enabled)
        {
            _stdout.WriteLine();
        }
    }

    public void Dispose() => _signal?.Dispose();

    private void Print()
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"    ({_current:F2}/100%)");
        if (_enabled)
        {
            _stdout.Write(text + "\r");
            _stdout.Flush();
        }
        else if (Interlocked.Exchange(ref _reportRequested, 0) == 1)
        {
            _stderr.WriteLine(text);
        }
    }
}
