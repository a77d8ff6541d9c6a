namespace Emulator.Machine.Cpu;

/// <summary>
/// Far JMP and CALL through a call gate (Intel SDM vol. 3, 5.8.3–5.8.5): the selector names a 16- or
/// 32-bit gate whose DPL must be ≥ CPL and ≥ the selector's RPL (#GP(gate)), present (#NP(gate)); the
/// gate's code segment must have DPL ≤ CPL (#GP(code)), and a JMP may reach only the same level unless
/// the code is conforming. A CALL to more privileged non-conforming code switches to the stack the TSS
/// gives for that level (#TS for a bad SS there), pushes the old SS:ESP, copies the gate's parameter
/// count of words or doublewords from the old stack, then the return CS:EIP — in the gate's size, not
/// the instruction's. Nothing is committed before the last push succeeded. RETF n to the outer level
/// (<see cref="ControlUnit.ReturnFar"/>) releases the parameters from both stacks. A TSS descriptor
/// or task gate as the target switches tasks (<see cref="TaskSwitchUnit"/>).
/// </summary>
internal sealed class CallGateUnit(ExecutionCore core, SegmentUnit segments, TaskUnit tasks, TaskSwitchUnit switcher)
{
    private const byte CallGate16 = 0x4;
    private const byte TaskGate = 0x5;
    private const byte CallGate32 = 0xC;
    private const uint ParameterCountMask = 0x1F;
    private const uint Word = 0xFFFF;

    /// <summary>
    /// Whether <paramref name="selector"/> names a call gate (protected mode only); then the transfer has
    /// been done or has faulted, and <paramref name="done"/> says which. False for anything else, which
    /// the caller transfers to as a code segment (a failed descriptor read is left for that path too).
    /// </summary>
    public bool TryTransfer(ushort selector, bool call, uint returnEip, out bool done)
    {
        done = false;
        if (!core.R.ProtectedMode)
        {
            return false;
        }

        if (!segments.TryReadRawDescriptor(selector, out var found, out var low, out var high))
        {
            return true; // reading the descriptor table faulted
        }

        if (!found)
        {
            return false;
        }

        var access = DescriptorAccess.FromHighDword(high);
        var type = access & DescriptorAccess.SystemTypeMask;
        if ((access & DescriptorAccess.CodeOrData) != 0)
        {
            return false;
        }

        switch (type)
        {
            case CallGate16 or CallGate32:
                done = Transfer(selector, low, high, access, call, returnEip);
                return true;
            case TaskGate or DescriptorAccess.AvailableTss16 or DescriptorAccess.AvailableTss32 or DescriptorAccess.BusyTss16 or DescriptorAccess.BusyTss32:
                done = SwitchTask(selector, low, access, type == TaskGate, call, returnEip);
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// JMP/CALL to a TSS descriptor or a task gate (Intel SDM vol. 3, 7.3): its DPL must be ≥ CPL and ≥
    /// the selector's RPL (#GP), the gate present (#NP); the switch itself checks the TSS it names.
    /// </summary>
    private bool SwitchTask(ushort selector, uint low, byte access, bool gate, bool call, uint returnEip)
    {
        var dpl = DescriptorAccess.Dpl(access);
        if (dpl < core.Cpl || dpl < (selector & ExecutionCore.SelectorRplMask))
        {
            return core.RaiseGeneralProtection(selector & SegmentSelector.ErrorMask);
        }

        if (gate && (access & DescriptorAccess.Present) == 0)
        {
            return core.Raise(ExceptionVector.SegmentNotPresent, selector & SegmentSelector.ErrorMask);
        }

        var tss = gate ? (ushort)(low >> 16) : selector;
        return switcher.Switch(tss, call ? TaskSwitchReason.Call : TaskSwitchReason.Jump, returnEip);
    }

    private bool Transfer(ushort gateSelector, uint low, uint high, byte access, bool call, uint returnEip)
    {
        var cpl = core.Cpl;
        var gateDpl = DescriptorAccess.Dpl(access);
        if (gateDpl < cpl || gateDpl < (gateSelector & ExecutionCore.SelectorRplMask))
        {
            return core.RaiseGeneralProtection(gateSelector & SegmentSelector.ErrorMask);
        }

        if ((access & DescriptorAccess.Present) == 0)
        {
            return core.Raise(ExceptionVector.SegmentNotPresent, gateSelector & SegmentSelector.ErrorMask);
        }

        var codeSelector = (ushort)(low >> 16);
        if (!segments.TryReadCode(codeSelector, out var code))
        {
            return false;
        }

        var dpl = DescriptorAccess.Dpl(code.Access);
        var conforming = DescriptorAccess.IsConformingCode(code.Access);
        if (dpl > cpl || (!call && !conforming && dpl != cpl))
        {
            return core.RaiseGeneralProtection(codeSelector & SegmentSelector.ErrorMask);
        }

        var size = (access & DescriptorAccess.SystemTypeMask) == CallGate32 ? 4 : 2;
        var offset = size == 4 ? (low & Word) | (high & ~Word) : low & Word;
        if (offset > code.Limit)
        {
            return core.RaiseGeneralProtection(0);
        }

        var inner = call && !conforming && dpl < cpl;
        code.Selector = (ushort)((codeSelector & ~ExecutionCore.SelectorRplMask) | (inner ? dpl : cpl));
        if (call && !Push(inner, dpl, size, (int)(high & ParameterCountMask), returnEip))
        {
            return false;
        }

        segments.CommitCode(code);
        core.R.EIP = offset;
        return true;
    }

    /// <summary>The CALL's frame: on the current stack, or on the TSS's stack for <paramref name="dpl"/> with the old SS:ESP and the parameters; committed only when complete.</summary>
    private bool Push(bool inner, int dpl, int size, int parameters, uint returnEip)
    {
        var frame = new StackFrame(core, size);
        if (inner)
        {
            if (!tasks.TryOpenInnerFrame(dpl, size, out frame))
            {
                return false;
            }

            // The parameters keep their order: the last (highest address on the old stack) is pushed first.
            for (var i = parameters - 1; i >= 0; i--)
            {
                if (!core.TryPeekStack((uint)(i * size), size, out var parameter) || !frame.TryPush(parameter))
                {
                    return false;
                }
            }
        }

        if (!frame.TryPush(core.Seg[ExecutionCore.Cs].Selector) || !frame.TryPush(returnEip))
        {
            return false;
        }

        frame.Commit();
        return true;
    }
}
