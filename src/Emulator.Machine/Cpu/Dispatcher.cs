using System.Runtime.CompilerServices;
using Emulator.Machine.Cpu.Fpu;

namespace Emulator.Machine.Cpu;

/// <summary>
/// The execution switch: one case per <see cref="Op"/>, forwarding to the unit that owns it. The most
/// frequent forms (ALU, MOV, Jcc, INC/DEC) are inlined here; the JIT compiles the dense
/// <see cref="Op"/> switch to a jump table.
/// </summary>
internal sealed class Dispatcher
{
    private readonly ExecutionCore _core;
    private readonly IntegerUnit _integer;
    private readonly ShiftUnit _shift;
    private readonly MultiplyUnit _multiply;
    private readonly ControlUnit _control;
    private readonly StringUnit _string;
    private readonly SystemUnit _system;
    private readonly SelectorCheckUnit _selectors;
    private readonly TaskUnit _tasks;
    private readonly FpuUnit _fpu;
    private readonly ModelSpecificRegisters _msrs;

    public Dispatcher(ExecutionCore core, SegmentUnit segments, InterruptUnit interrupts, TaskUnit tasks, TaskSwitchUnit switcher)
    {
        _core = core;
        _integer = new IntegerUnit(core);
        _shift = new ShiftUnit(core);
        _multiply = new MultiplyUnit(core);
        _control = new ControlUnit(core, segments, interrupts, new CallGateUnit(core, segments, tasks, switcher));
        _string = new StringUnit(core);
        _system = new SystemUnit(core, segments);
        _selectors = new SelectorCheckUnit(core, segments);
        _tasks = tasks;
        _fpu = new FpuUnit(core);
        _msrs = new ModelSpecificRegisters(core);
    }

    /// <summary>Executes one instruction; false when it faulted (the fault is in <see cref="ExecutionCore.Fault"/>, nothing was committed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Execute(ref DecodedInstruction d)
    {
        switch (d.Op)
        {
            case Op.Add or Op.Or or Op.Adc or Op.Sbb or Op.And or Op.Sub or Op.Xor or Op.Cmp or Op.Test:
                return _integer.Binary(ref d);
            case Op.Mov:
                return _integer.Mov(ref d);
            case Op.Jcc:
                _control.JumpConditional(ref d);
                return true;
            case Op.Inc or Op.Dec or Op.Not or Op.Neg:
                return _integer.Unary(ref d);
            case Op.Nop:
                return true;
            case Op.Invalid:
                return _core.Raise(ExceptionVector.InvalidOpcode);
            default:
                return ExecuteLessCommon(ref d);
        }
    }

    private bool ExecuteLessCommon(ref DecodedInstruction d)
    {
        switch (d.Op)
        {
            case Op.MovToSreg: return _system.MoveToSegment(ref d);
            case Op.MovFromSreg: return _system.MoveFromSegment(ref d);
            case Op.Movzx: return _integer.MoveExtend(ref d, false);
            case Op.Movsx: return _integer.MoveExtend(ref d, true);
            case Op.Lea: _integer.Lea(ref d); return true;
            case Op.Xchg: return _integer.Exchange(ref d);
            case Op.Xadd: return _integer.ExchangeAdd(ref d);
            case Op.Cmpxchg: return _integer.CompareExchange(ref d);
            case Op.Cmpxchg8b: return _integer.CompareExchange8(ref d);
            case Op.Bswap: _integer.ByteSwap(ref d); return true;
            case Op.Rol or Op.Ror or Op.Rcl or Op.Rcr or Op.Shl or Op.Shr or Op.Sar: return _shift.Shift(ref d);
            case Op.Shld or Op.Shrd: return _shift.DoubleShift(ref d);
            case Op.Mul: return _multiply.MultiplyAccumulator(ref d, false);
            case Op.Imul1: return _multiply.MultiplyAccumulator(ref d, true);
            case Op.Imul: return _multiply.MultiplySigned(ref d);
            case Op.Div: return _multiply.Divide(ref d, false);
            case Op.Idiv: return _multiply.Divide(ref d, true);
            case Op.Daa: _multiply.DecimalAdjust(false); return true;
            case Op.Das: _multiply.DecimalAdjust(true); return true;
            case Op.Aaa: _multiply.AsciiAdjust(false); return true;
            case Op.Aas: _multiply.AsciiAdjust(true); return true;
            case Op.Aam: return _multiply.AsciiAdjustMultiply(ref d);
            case Op.Aad: _multiply.AsciiAdjustDivide(ref d); return true;
            case Op.Salc: _integer.Salc(); return true;
            case Op.Cbw: _integer.ConvertAccumulator(ref d); return true;
            case Op.Cwd: _integer.ConvertToDouble(ref d); return true;
            case Op.Clc: _core.R.Flags &= ~Eflags.Carry; return true;
            case Op.Stc: _core.R.Flags |= Eflags.Carry; return true;
            case Op.Cmc: _core.R.Flags ^= Eflags.Carry; return true;
            case Op.Cld: _core.R.Flags &= ~Eflags.Direction; return true;
            case Op.Std: _core.R.Flags |= Eflags.Direction; return true;
            case Op.Cli: return _system.ClearInterrupts();
            case Op.Sti: return _system.SetInterrupts();
            case Op.Lahf: _integer.Lahf(); return true;
            case Op.Sahf: _integer.Sahf(); return true;
            case Op.Pushf: return _control.PushFlags(ref d);
            case Op.Popf: return _control.PopFlags(ref d);
            case Op.Push: return _control.Push(ref d);
            case Op.Pop: return _control.Pop(ref d);
            case Op.PushSreg: return _control.PushSegment(ref d);
            case Op.PopSreg: return _control.PopSegment(ref d);
            case Op.Pusha: return _control.PushAll(ref d);
            case Op.Popa: return _control.PopAll(ref d);
            case Op.Enter: return _control.Enter(ref d);
            case Op.Leave: return _control.Leave(ref d);
            case Op.Jmp: _control.Jump(ref d); return true;
            case Op.JmpIndirect: return _control.JumpIndirect(ref d);
            case Op.JmpFar: return _control.JumpFar(ref d);
            case Op.JmpFarIndirect: return _control.JumpFarIndirect(ref d);
            case Op.Call: return _control.Call(ref d);
            case Op.CallIndirect: return _control.CallIndirect(ref d);
            case Op.CallFar: return _control.CallFar(ref d);
            case Op.CallFarIndirect: return _control.CallFarIndirect(ref d);
            case Op.Ret: return _control.Return(ref d);
            case Op.Retf: return _control.ReturnFar(ref d);
            case Op.Loop or Op.Loope or Op.Loopne or Op.Jcxz: _control.Loop(ref d); return true;
            case Op.Int: return _control.SoftwareInterrupt((byte)d.Imm);
            case Op.Int3: return _control.SoftwareInterrupt(ExceptionVector.Breakpoint);
            case Op.Int1: return _control.SoftwareInterrupt(ExceptionVector.Debug, false);
            case Op.Into: return _control.InterruptOnOverflow();
            case Op.Iret: return _control.InterruptReturn(ref d);
            case Op.Bound: return _control.Bound(ref d);
            case Op.Movs or Op.Cmps or Op.Scas or Op.Lods or Op.Stos or Op.Ins or Op.Outs: return _string.Execute(ref d);
            case Op.In: return _string.In(ref d);
            case Op.Out: return _string.Out(ref d);
            case Op.LoadFarPointer: return _system.LoadFarPointer(ref d);
            case Op.Bt or Op.Bts or Op.Btr or Op.Btc: return _integer.BitTest(ref d);
            case Op.Bsf: return _integer.BitScan(ref d, false);
            case Op.Bsr: return _integer.BitScan(ref d, true);
            case Op.Setcc: return _integer.SetCondition(ref d);
            case Op.Cmovcc: return _integer.ConditionalMove(ref d);
            case Op.Hlt: return _system.Halt();
            case Op.Wait: return _fpu.Wait();
            case Op.Fpu: return _fpu.Execute(ref d);
            case Op.Xlat: return _integer.Xlat(ref d);
            case Op.Cpuid: _system.Cpuid(); return true;
            case Op.Rdtsc: return _system.ReadTimeStampCounter();
            case Op.Rdmsr: return _msrs.Read();
            case Op.Wrmsr: return _msrs.Write();
            case Op.InvalidateCaches: return _system.InvalidateCaches();
            case Op.MovToCr: return _system.MoveToControl(ref d);
            case Op.MovFromCr: return _system.MoveFromControl(ref d);
            case Op.Lar: return _selectors.LoadAccessRights(ref d);
            case Op.Lsl: return _selectors.LoadSegmentLimit(ref d);
            case Op.Verr: return _selectors.Verify(ref d, write: false);
            case Op.Verw: return _selectors.Verify(ref d, write: true);
            case Op.Arpl: return _selectors.AdjustRpl(ref d);
            case Op.MovToDr: return DebugRegisterAccess.MoveTo(_core, ref d);
            case Op.MovFromDr: return DebugRegisterAccess.MoveFrom(_core, ref d);
            case Op.Lgdt: return _system.LoadTable(ref d, false);
            case Op.Lidt: return _system.LoadTable(ref d, true);
            case Op.Sgdt: return _system.StoreTable(ref d, false);
            case Op.Sidt: return _system.StoreTable(ref d, true);
            case Op.Smsw: return _system.StoreMachineStatus(ref d);
            case Op.Lmsw: return _system.LoadMachineStatus(ref d);
            case Op.Clts: return _system.ClearTaskSwitched();
            case Op.Invlpg: return _system.InvalidatePage(ref d);
            case Op.Ltr: return _tasks.LoadTaskRegister(ref d);
            case Op.Str: return _tasks.StoreTaskRegister(ref d);
            case Op.Lldt: return _tasks.LoadLdtRegister(ref d);
            case Op.Sldt: return _tasks.StoreLdtRegister(ref d);
            case Op.FetchFault: return false;
            default: return _core.Raise(ExceptionVector.InvalidOpcode);
        }
    }
}
