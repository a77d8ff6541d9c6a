using System.Collections.Concurrent;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// One process-wide thread that compiles blocks for tiers with background translation on
/// (docs/translating-cpu.md): the machine thread forms a block and queues it, keeps interpreting it until
/// the code is there, then runs it. Both tiers leave identical state and counts, so when a block's code
/// becomes available changes nothing the guest can see; only host time moves off the machine thread.
/// </summary>
internal static class BackgroundCompiler
{
    /// <summary>
    /// Newest first: a block queued just now is hot now, while the oldest jobs of a backlog are often blocks of a
    /// phase the guest has left (in the Linux self-test boot 11% of all instructions were interpreted waiting for
    /// the compiler, with a first-in first-out queue).
    /// </summary>
    private static readonly BlockingCollection<Job> Jobs = new(new ConcurrentStack<Job>());
    private static readonly Lazy<Thread> Worker = new(Start);

    /// <summary>Queues <paramref name="block"/> (the queue takes it over) to be compiled into <paramref name="target"/>.</summary>
    public static void Enqueue(BlockCompilation compilation, List<BlockInstruction> block, bool codeBig, bool stackBig, bool flatData, CompiledCode target, string name)
    {
        _ = Worker.Value;
        Jobs.Add(new Job(compilation, block, codeBig, stackBig, flatData, target, name));
    }

    /// <summary>Blocks queued and not yet compiled.</summary>
    public static int Pending => Jobs.Count;

    private static Thread Start()
    {
        var thread = new Thread(Loop) { IsBackground = true, Name = "block compiler", Priority = ThreadPriority.BelowNormal };
        thread.Start();
        return thread;
    }

    private static void Loop()
    {
        foreach (var job in Jobs.GetConsumingEnumerable())
        {
            // Every block that wanted this code was evicted or dropped while it waited: nothing would run it.
            if (job.Target.TryAbandon())
            {
                job.Compilation.Skip();
                continue;
            }

            job.Target.Run = job.Compilation.Run(job.Block, job.CodeBig, job.StackBig, job.FlatData, job.Name);
        }
    }

    private sealed record Job(BlockCompilation Compilation, List<BlockInstruction> Block, bool CodeBig, bool StackBig, bool FlatData, CompiledCode Target, string Name);
}
