using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Emulator.Machine.Loop;
using Emulator.Monitor.Qmp;

namespace Emulator.Monitor.Machine;

/// <summary>
/// Runs monitor commands on the machine thread: posted to the loop's fixed point while it runs, run
/// directly (one at a time) when no loop runs or when already on the machine thread. A command is
/// run exactly once, by whichever side claims it first, so a loop that stops meanwhile strands nobody.
/// </summary>
public sealed class MachineMonitorExecutor(PcMachine machine) : IMonitorExecutor
{
    /// <summary>Polling before sleeping: 1/20000 s = 50 µs.</summary>
    private const long PollDivisor = 20_000;

    private readonly Lock _inline = new();

    /// <summary>Runs <paramref name="work"/> at the loop's next fixed point and waits for it; inline (serialised) when called on the machine thread or when the loop is not running, including a loop that stops while the work waits. Exceptions are rethrown with their stack. Any thread.</summary>
    public T Invoke<T>(Func<T> work)
    {
        if (machine.IsMachineThread || !machine.IsLooping)
        {
            lock (_inline)
            {
                return work();
            }
        }

        var item = new WorkItem<T>(work);
        machine.Post(item.TryRun);

        // Most commands finish within microseconds: poll briefly before sleeping on the event.
        var pollUntil = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / PollDivisor);
        while (!item.Done.IsSet && Stopwatch.GetTimestamp() < pollUntil)
        {
            Thread.SpinWait(16);
        }

        while (!item.Done.Wait(TimeSpan.FromMilliseconds(100)))
        {
            if (!machine.IsLooping)
            {
                lock (_inline)
                {
                    item.TryRun();
                }
            }
        }

        return item.Result();
    }

    private sealed class WorkItem<T>(Func<T> work)
    {
        private int _claimed;
        private T? _value;
        private ExceptionDispatchInfo? _failure;

        public ManualResetEventSlim Done { get; } = new(false);

        public void TryRun()
        {
            if (Interlocked.Exchange(ref _claimed, 1) != 0)
            {
                return;
            }

            try
            {
                _value = work();
            }
            catch (QmpException e)
            {
                _failure = ExceptionDispatchInfo.Capture(e);
            }
            catch (InvalidOperationException e)
            {
                _failure = ExceptionDispatchInfo.Capture(e);
            }
            catch (ArgumentException e)
            {
                _failure = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                Done.Set();
            }
        }

        public T Result()
        {
            _failure?.Throw();
            return _value!;
        }
    }
}
