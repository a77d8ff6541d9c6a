using System.Runtime.CompilerServices;

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

    public Dispatcher(ExecutionCore core, SegmentUnit segments, InterruptUnit interrupts)
    {
        _core = core;
        _integer = new IntegerUnit(core);
        _shift = new ShiftUnit(core);
        _multiply = new MultiplyUnit(core);
        _control = new ControlUnit(core, segments, interrupts);
        _string = new StringUnit(core);
        _system = new SystemUnit(core, segments);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(ref DecodedInstruction d)
    {
        switch (d.Op)
        {
            case Op.Add or Op.Or or Op.Adc or Op.Sbb or Op.And or Op.Sub or Op.Xor or Op.Cmp or Op.Test:
                _integer.Binary(ref d);
                break;
            case Op.Mov:
                _integer.Mov(ref d);
                break;
            case Op.Jcc:
                _control.JumpConditional(ref d);
                break;
            case Op.Inc or Op.Dec or Op.Not or Op.Neg:
                _integer.Unary(ref d);
                break;
            case Op.Nop:
                break;
            case Op.Invalid:
                throw ExceptionVector.Fault(ExceptionVector.InvalidOpcode);
            default:
                ExecuteLessCommon(ref d);
                break;
        }
    }

    private void ExecuteLessCommon(ref DecodedInstruction d)
    {
        switch (d.Op)
        {
            case Op.MovToSreg: _system.MoveToSegment(ref d); break;
            case Op.MovFromSreg: _system.MoveFromSegment(ref d); break;
            case Op.Movzx: _integer.MoveExtend(ref d, false); break;
            case Op.Movsx: _integer.MoveExtend(ref d, true); break;
            case Op.Lea: _integer.Lea(ref d); break;
            case Op.Xchg: _integer.Exchange(ref d); break;
            case Op.Xadd: _integer.ExchangeAdd(ref d); break;
            case Op.Cmpxchg: _integer.CompareExchange(ref d); break;
            case Op.Bswap: _integer.ByteSwap(ref d); break;
            case Op.Rol or Op.Ror or Op.Rcl or Op.Rcr or Op.Shl or Op.Shr or Op.Sar: _shift.Shift(ref d); break;
            case Op.Shld or Op.Shrd: _shift.DoubleShift(ref d); break;
            case Op.Mul: _multiply.MultiplyAccumulator(ref d, false); break;
            case Op.Imul1: _multiply.MultiplyAccumulator(ref d, true); break;
            case Op.Imul: _multiply.MultiplySigned(ref d); break;
            case Op.Div: _multiply.Divide(ref d, false); break;
            case Op.Idiv: _multiply.Divide(ref d, true); break;
            case Op.Daa: _multiply.DecimalAdjust(false); break;
            case Op.Das: _multiply.DecimalAdjust(true); break;
            case Op.Aaa: _multiply.AsciiAdjust(false); break;
            case Op.Aas: _multiply.AsciiAdjust(true); break;
            case Op.Aam: _multiply.AsciiAdjustMultiply(ref d); break;
            case Op.Aad: _multiply.AsciiAdjustDivide(ref d); break;
            case Op.Salc: _integer.Salc(); break;
            case Op.Cbw: _integer.ConvertAccumulator(ref d); break;
            case Op.Cwd: _integer.ConvertToDouble(ref d); break;
            case Op.Clc: _core.R.Flags &= ~Eflags.Carry; break;
            case Op.Stc: _core.R.Flags |= Eflags.Carry; break;
            case Op.Cmc: _core.R.Flags ^= Eflags.Carry; break;
            case Op.Cld: _core.R.Flags &= ~Eflags.Direction; break;
            case Op.Std: _core.R.Flags |= Eflags.Direction; break;
            case Op.Cli: _system.ClearInterrupts(); break;
            case Op.Sti: _system.SetInterrupts(); break;
            case Op.Lahf: _integer.Lahf(); break;
            case Op.Sahf: _integer.Sahf(); break;
            case Op.Pushf: _control.PushFlags(ref d); break;
            case Op.Popf: _control.PopFlags(ref d); break;
            case Op.Push: _control.Push(ref d); break;
            case Op.Pop: _control.Pop(ref d); break;
            case Op.PushSreg: _control.PushSegment(ref d); break;
            case Op.PopSreg: _control.PopSegment(ref d); break;
            case Op.Pusha: _control.PushAll(ref d); break;
            case Op.Popa: _control.PopAll(ref d); break;
            case Op.Enter: _control.Enter(ref d); break;
            case Op.Leave: _control.Leave(ref d); break;
            case Op.Jmp: _control.Jump(ref d); break;
            case Op.JmpIndirect: _control.JumpIndirect(ref d); break;
            case Op.JmpFar: _control.JumpFar(ref d); break;
            case Op.JmpFarIndirect: _control.JumpFarIndirect(ref d); break;
            case Op.Call: _control.Call(ref d); break;
            case Op.CallIndirect: _control.CallIndirect(ref d); break;
            case Op.CallFar: _control.CallFar(ref d); break;
            case Op.CallFarIndirect: _control.CallFarIndirect(ref d); break;
            case Op.Ret: _control.Return(ref d); break;
            case Op.Retf: _control.ReturnFar(ref d); break;
            case Op.Loop or Op.Loope or Op.Loopne or Op.Jcxz: _control.Loop(ref d); break;
            case Op.Int: _control.SoftwareInterrupt((byte)d.Imm); break;
            case Op.Int3: _control.SoftwareInterrupt(ExceptionVector.Breakpoint); break;
            case Op.Int1: _control.SoftwareInterrupt(ExceptionVector.Debug); break;
            case Op.Into: _control.InterruptOnOverflow(); break;
            case Op.Iret: _control.InterruptReturn(ref d); break;
            case Op.Bound: _control.Bound(ref d); break;
            case Op.Movs or Op.Cmps or Op.Scas or Op.Lods or Op.Stos or Op.Ins or Op.Outs: _string.Execute(ref d); break;
            case Op.In: _string.In(ref d); break;
            case Op.Out: _string.Out(ref d); break;
            case Op.LoadFarPointer: _system.LoadFarPointer(ref d); break;
            case Op.Bt or Op.Bts or Op.Btr or Op.Btc: _integer.BitTest(ref d); break;
            case Op.Bsf: _integer.BitScan(ref d, false); break;
            case Op.Bsr: _integer.BitScan(ref d, true); break;
            case Op.Setcc: _integer.SetCondition(ref d); break;
            case Op.Hlt: _system.Halt(); break;
            case Op.Wait: _system.Wait(); break;
            case Op.Fpu: _system.FpuEscape(ref d); break;
            case Op.Xlat: _integer.Xlat(ref d); break;
            case Op.Cpuid: _system.Cpuid(); break;
            case Op.MovToCr: _system.MoveToControl(ref d); break;
            case Op.MovFromCr: _system.MoveFromControl(ref d); break;
            case Op.Lgdt: _system.LoadTable(ref d, false); break;
            case Op.Lidt: _system.LoadTable(ref d, true); break;
            case Op.Sgdt: _system.StoreTable(ref d, false); break;
            case Op.Sidt: _system.StoreTable(ref d, true); break;
            case Op.Smsw: _system.StoreMachineStatus(ref d); break;
            case Op.Lmsw: _system.LoadMachineStatus(ref d); break;
            case Op.Clts: _system.ClearTaskSwitched(); break;
            default: throw ExceptionVector.Fault(ExceptionVector.InvalidOpcode);
        }
    }
}
