using System.Linq.Expressions;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// A block's two shared exits (docs/translating-cpu.md): a fault site (one per memory access, more for interpreted
/// instructions) or a stop after a memory instruction that disturbed the machine only notes its instruction's index
/// and jumps here, instead of writing out the whole exit each time (every such exit was a basic block of its own for
/// the JIT). The exit works out the count and EIP from the index and a table of the instructions' offsets.
/// </summary>
internal sealed class SharedExits
{
    private readonly LabelTarget _fault = Expression.Label("fault");
    private readonly LabelTarget _stop = Expression.Label("stop");

    /// <summary>Block offset of each instruction that has a fault site, by index.</summary>
    private readonly Dictionary<int, uint> _faultOffsets = [];

    /// <summary>Block offset of the instruction after each one that has a stop site, by index.</summary>
    private readonly Dictionary<int, uint> _stopOffsets = [];

    /// <summary>The index of the instruction an exit leaves at, set by its site; a block-wide local.</summary>
    public ParameterExpression Index { get; } = Expression.Variable(typeof(int), "exitIndex");

    /// <summary>The jump of instruction <paramref name="index"/>'s fault site; <paramref name="offset"/> is its offset from the entry.</summary>
    public Expression ToFault(int index, uint offset)
    {
        if (_faultOffsets.TryGetValue(index, out var known) && known != offset)
        {
            throw new InvalidOperationException($"instruction {index} faults at offsets {known} and {offset}");
        }

        _faultOffsets[index] = offset;
        return Jump(_fault, index);
    }

    /// <summary>The jump of the stop after instruction <paramref name="index"/>; the next instruction is <paramref name="nextOffset"/> bytes after the entry.</summary>
    public Expression ToStop(int index, uint nextOffset)
    {
        _stopOffsets[index] = nextOffset;
        return Jump(_stop, index);
    }

    /// <summary>
    /// The exits that have sites (none when no site was made): the fault exit (result = ~(executed + index), EIP = the
    /// faulting instruction's) and the stop exit (result = executed + index + 1, EIP = the next instruction's), each
    /// then on to the block's common exit (<see cref="EmitContext.Exit"/>).
    /// </summary>
    public IEnumerable<Expression> Code(EmitContext c)
    {
        if (_faultOffsets.Count > 0)
        {
            var faulted = Expression.Subtract(Expression.Constant(-1L), Expression.Add(c.Executed, Expression.Convert(Index, typeof(long))));
            yield return Exit(c, _fault, _faultOffsets, faulted);
        }

        if (_stopOffsets.Count > 0)
        {
            var completed = Expression.Add(c.Executed, Expression.Convert(Expression.Add(Index, EmitContext.I(1)), typeof(long)));
            yield return Exit(c, _stop, _stopOffsets, completed);
        }
    }

    private Expression Jump(LabelTarget label, int index) => Expression.Block(Expression.Assign(Index, EmitContext.I(index)), Expression.Goto(label));

    private Expression Exit(EmitContext c, LabelTarget label, Dictionary<int, uint> offsetsByIndex, Expression result)
    {
        var offsets = new uint[offsetsByIndex.Keys.Max() + 1];
        foreach (var (index, offset) in offsetsByIndex)
        {
            offsets[index] = offset;
        }

        var eip = Expression.And(Expression.Add(c.EntryEip, Expression.ArrayIndex(Expression.Constant(offsets), Index)), EmitContext.U(c.IpMask));
        return Expression.Block(
            Expression.Label(label),
            Expression.Assign(c.Result, result),
            Expression.Assign(c.ExitEip, eip),
            Expression.Goto(c.Exit));
    }
}
