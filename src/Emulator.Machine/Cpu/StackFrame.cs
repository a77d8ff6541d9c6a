namespace Emulator.Machine.Cpu;

/// <summary>
/// Pushes for an interrupt frame that commit nothing until <see cref="Commit"/>: on the current stack,
/// or on the inner-privilege stack read from the TSS (written as supervisor accesses). A limit
/// violation is #SS(0) on the current stack (#GP(0) in real mode, as the 286 vectors record) and
/// #SS(selector) on a new one. Expand-down stack segments are not emulated.
/// </summary>
internal struct StackFrame
{
    private const uint WordMask = 0xFFFF;

    private readonly ExecutionCore _core;
    private readonly int _size;
    private readonly SegmentCache _stack;
    private readonly uint _initialEsp;
    private readonly bool _switched;
    private uint _esp;

    /// <summary>A frame on the current SS:ESP.</summary>
    public StackFrame(ExecutionCore core, int size)
    {
        _core = core;
        _size = size;
        _stack = core.Seg[ExecutionCore.Ss];
        _initialEsp = core.Reg(CpuRegisters.Esp);
        _esp = _initialEsp;
    }

    /// <summary>A frame on a new stack (<paramref name="stack"/>:<paramref name="esp"/>) that becomes SS:ESP on commit.</summary>
    public StackFrame(ExecutionCore core, int size, in SegmentCache stack, uint esp)
    {
        _core = core;
        _size = size;
        _stack = stack;
        _initialEsp = esp;
        _esp = esp;
        _switched = true;
    }

    public bool TryPush(uint value)
    {
        var mask = _stack.Big ? Alu.DwordMask : WordMask;
        var next = (_esp - (uint)_size) & mask;
        if (next > _stack.Limit - (uint)(_size - 1))
        {
            return _switched
                ? _core.Raise(ExceptionVector.StackFault, _stack.Selector & SegmentSelector.ErrorMask)
                : _core.R.ProtectedMode ? _core.Raise(ExceptionVector.StackFault, 0) : _core.RaiseGeneralProtection(0);
        }

        var linear = _stack.Base + next;
        value &= Alu.Mask(_size);
        var written = _switched ? _core.Mmu.TryWriteSystem(linear, _size, value) : _core.Mmu.TryWrite(linear, _size, value);
        if (!written)
        {
            return false;
        }

        _esp = (_esp & ~mask) | next;
        return true;
    }

    /// <summary>Makes the frame's stack the current SS:ESP.</summary>
    public readonly void Commit()
    {
        if (_switched)
        {
            _core.Seg[ExecutionCore.Ss] = _stack;
        }

        var mask = _stack.Big ? Alu.DwordMask : WordMask;
        _core.Reg(CpuRegisters.Esp) = (_initialEsp & ~mask) | (_esp & mask);
    }
}
