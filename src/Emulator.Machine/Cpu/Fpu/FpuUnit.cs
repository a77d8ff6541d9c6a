using Iced.Intel;

namespace Emulator.Machine.Cpu.Fpu;

/// <summary>
/// The x87 FPU of the i686 (Intel SDM vol. 1, ch. 8; design in docs/x87-fpu.md): entry for every
/// escape (D8–DF) and for WAIT. It applies CR0.EM/TS (#NM), reports a pending unmasked exception
/// before a waiting instruction (#MF when CR0.NE is set, else the FERR# pin that a PC routes to
/// IRQ 13), records the last-instruction and operand pointers, and hands the instruction to its
/// group: control here, transfers in <see cref="FpuLoadStore"/>, arithmetic and compares in
/// <see cref="FpuArithmeticUnit"/>, environments in <see cref="FpuEnvironment"/>, the
/// transcendentals in <see cref="Transcendental"/>.
/// </summary>
internal sealed class FpuUnit
{
    /// <summary>#MF, the x87 floating-point error (Intel SDM vol. 3, table 6-1).</summary>
    public const byte MathFaultVector = 16;

    private const int EscapeFirst = 0xD8;
    private const int EscapeLast = 0xDF;
    private const int EscapeOpcodeBits = 7;
    private const int OpcodeHighShift = 8;

    private readonly ExecutionCore _core;
    private readonly FpuExecution _fpu;
    private readonly FpuLoadStore _transfer;
    private readonly FpuArithmeticUnit _arithmetic;
    private readonly FpuEnvironment _environment;
    private readonly Transcendental _transcendental;

    public FpuUnit(ExecutionCore core)
    {
        _core = core;
        _fpu = new FpuExecution(core);
        _transfer = new FpuLoadStore(_fpu);
        _arithmetic = new FpuArithmeticUnit(_fpu);
        _environment = new FpuEnvironment(_fpu);
        _transcendental = new Transcendental(_fpu);
    }

    private X87State State => _core.Fpu;

    /// <summary>WAIT/FWAIT: #NM when CR0.MP and CR0.TS are both set (EM does not matter), then any pending exception.</summary>
    public bool Wait()
    {
        const uint MonitorAndSwitched = ControlRegisters.MonitorCoprocessor | ControlRegisters.TaskSwitched;
        if ((_core.R.CR0 & MonitorAndSwitched) == MonitorAndSwitched)
        {
            return _core.Raise(ExceptionVector.DeviceNotAvailable);
        }

        return !State.ErrorPending || SignalPending();
    }

    public bool Execute(ref DecodedInstruction d)
    {
        // CR0.EM: no FPU, let the OS emulate it; CR0.TS: the FPU state belongs to another task (lazy switching).
        if ((_core.R.CR0 & (ControlRegisters.Emulation | ControlRegisters.TaskSwitched)) != 0)
        {
            return _core.Raise(ExceptionVector.DeviceNotAvailable);
        }

        var mnemonic = d.Instr.Mnemonic;
        if (!IsNoWait(mnemonic) && State.ErrorPending && !SignalPending())
        {
            return false;
        }

        if (!IsControl(mnemonic))
        {
            RecordPointers(ref d);
        }

        return Dispatch(ref d, mnemonic);
    }

    private bool Dispatch(ref DecodedInstruction d, Mnemonic mnemonic)
    {
        var memory = d.Form0 == OperandForm.Memory;
        switch (mnemonic)
        {
            case Mnemonic.Fninit or Mnemonic.Finit:
                State.Initialize();
                State.IgnoreNumericError = false;
                return true;
            case Mnemonic.Fnclex or Mnemonic.Fclex:
                State.Status &= unchecked((ushort)~FpuStatus.Clearable);
                State.IgnoreNumericError = false;
                return true;
            case Mnemonic.Fnstsw or Mnemonic.Fstsw:
                if (!memory)
                {
                    _core.WriteReg(CpuRegisters.Eax, 0, 2, State.StatusWord);
                    return true;
                }

                return _core.TryWrite(d.Seg, _core.Offset(ref d), 2, State.StatusWord);
            case Mnemonic.Fnstcw or Mnemonic.Fstcw:
                return _core.TryWrite(d.Seg, _core.Offset(ref d), 2, State.Control);
            case Mnemonic.Fldcw:
                if (!_core.TryRead(d.Seg, _core.Offset(ref d), 2, out var control))
                {
                    return false;
                }

                State.Control = (ushort)((control & FpuControl.Writable) | FpuControl.Reserved6);
                State.UpdateErrorSummary();
                return true;
            case Mnemonic.Fnstenv or Mnemonic.Fstenv: return _environment.Store(ref d, false);
            case Mnemonic.Fnsave or Mnemonic.Fsave: return _environment.Store(ref d, true);
            case Mnemonic.Fldenv: return _environment.Load(ref d, false);
            case Mnemonic.Frstor: return _environment.Load(ref d, true);
            case Mnemonic.Fld:
                if (memory)
                {
                    return _transfer.LoadMemory(ref d);
                }

                _transfer.LoadRegister(FpuExecution.StackIndex(d.Instr, 0));
                return true;
            case Mnemonic.Fild or Mnemonic.Fbld: return _transfer.LoadMemory(ref d);
            case Mnemonic.Fst or Mnemonic.Fstp:
                if (memory)
                {
                    return _transfer.StoreMemory(ref d, mnemonic == Mnemonic.Fstp);
                }

                _transfer.StoreRegister(FpuExecution.StackIndex(d.Instr, 0), mnemonic == Mnemonic.Fstp);
                return true;
            case Mnemonic.Fist: return _transfer.StoreMemory(ref d, false);
            case Mnemonic.Fistp or Mnemonic.Fbstp: return _transfer.StoreMemory(ref d, true);
            case Mnemonic.Fld1 or Mnemonic.Fldz or Mnemonic.Fldpi or Mnemonic.Fldl2e or Mnemonic.Fldl2t or Mnemonic.Fldlg2 or Mnemonic.Fldln2:
                _transfer.LoadConstant(mnemonic);
                return true;
            case Mnemonic.Fxch:
                _transfer.Exchange(FpuExecution.StackIndex(d.Instr, d.Instr.OpCount - 1));
                return true;
            case Mnemonic.Fcmovb or Mnemonic.Fcmove or Mnemonic.Fcmovbe or Mnemonic.Fcmovu
                or Mnemonic.Fcmovnb or Mnemonic.Fcmovne or Mnemonic.Fcmovnbe or Mnemonic.Fcmovnu:
                _transfer.ConditionalMove(FpuExecution.StackIndex(d.Instr, 1), MoveCondition(mnemonic));
                return true;
            case Mnemonic.Fadd or Mnemonic.Fiadd: return _arithmetic.Binary(ref d, BinaryOperation.Add, false, false);
            case Mnemonic.Faddp: return _arithmetic.Binary(ref d, BinaryOperation.Add, false, true);
            case Mnemonic.Fsub or Mnemonic.Fisub: return _arithmetic.Binary(ref d, BinaryOperation.Subtract, false, false);
            case Mnemonic.Fsubp: return _arithmetic.Binary(ref d, BinaryOperation.Subtract, false, true);
            case Mnemonic.Fsubr or Mnemonic.Fisubr: return _arithmetic.Binary(ref d, BinaryOperation.Subtract, true, false);
            case Mnemonic.Fsubrp: return _arithmetic.Binary(ref d, BinaryOperation.Subtract, true, true);
            case Mnemonic.Fmul or Mnemonic.Fimul: return _arithmetic.Binary(ref d, BinaryOperation.Multiply, false, false);
            case Mnemonic.Fmulp: return _arithmetic.Binary(ref d, BinaryOperation.Multiply, false, true);
            case Mnemonic.Fdiv or Mnemonic.Fidiv: return _arithmetic.Binary(ref d, BinaryOperation.Divide, false, false);
            case Mnemonic.Fdivp: return _arithmetic.Binary(ref d, BinaryOperation.Divide, false, true);
            case Mnemonic.Fdivr or Mnemonic.Fidivr: return _arithmetic.Binary(ref d, BinaryOperation.Divide, true, false);
            case Mnemonic.Fdivrp: return _arithmetic.Binary(ref d, BinaryOperation.Divide, true, true);
            case Mnemonic.Fsqrt or Mnemonic.Frndint or Mnemonic.Fabs or Mnemonic.Fchs:
                _arithmetic.Unary(mnemonic);
                return true;
            case Mnemonic.Fscale:
                _arithmetic.Scale();
                return true;
            case Mnemonic.Fxtract:
                _arithmetic.Extract();
                return true;
            case Mnemonic.Fprem or Mnemonic.Fprem1:
                _arithmetic.PartialRemainder(mnemonic == Mnemonic.Fprem1);
                return true;
            case Mnemonic.Fcom or Mnemonic.Ficom: return _arithmetic.Compare(ref d, false, 0, false);
            case Mnemonic.Fcomp or Mnemonic.Ficomp: return _arithmetic.Compare(ref d, false, 1, false);
            case Mnemonic.Fcompp: return _arithmetic.Compare(ref d, false, 2, false);
            case Mnemonic.Fucom: return _arithmetic.Compare(ref d, true, 0, false);
            case Mnemonic.Fucomp: return _arithmetic.Compare(ref d, true, 1, false);
            case Mnemonic.Fucompp: return _arithmetic.Compare(ref d, true, 2, false);
            case Mnemonic.Ftst: return _arithmetic.Compare(ref d, false, 0, true);
            case Mnemonic.Fcomi or Mnemonic.Fcomip or Mnemonic.Fucomi or Mnemonic.Fucomip:
                _arithmetic.CompareToFlags(ref d, mnemonic is Mnemonic.Fucomi or Mnemonic.Fucomip, mnemonic is Mnemonic.Fcomip or Mnemonic.Fucomip);
                return true;
            case Mnemonic.Fxam:
                _arithmetic.Examine();
                return true;
            case Mnemonic.Fsin or Mnemonic.Fcos or Mnemonic.Fsincos or Mnemonic.Fptan or Mnemonic.Fpatan
                or Mnemonic.F2xm1 or Mnemonic.Fyl2x or Mnemonic.Fyl2xp1:
                _transcendental.Execute(mnemonic);
                return true;
            case Mnemonic.Fincstp or Mnemonic.Fdecstp:
                if (mnemonic == Mnemonic.Fincstp)
                {
                    State.IncrementTop();
                }
                else
                {
                    State.DecrementTop();
                }

                State.Status &= unchecked((ushort)~FpuStatus.C1);
                return true;
            case Mnemonic.Ffree or Mnemonic.Ffreep:
                State.Free(FpuExecution.StackIndex(d.Instr, 0));
                if (mnemonic == Mnemonic.Ffreep)
                {
                    State.IncrementTop();
                }

                return true;
            case Mnemonic.Fnop or Mnemonic.Fneni or Mnemonic.Feni or Mnemonic.Fndisi or Mnemonic.Fdisi or Mnemonic.Fnsetpm or Mnemonic.Fsetpm:
                // The 8087's interrupt enable/disable and the 287's protected-mode switch are no-ops on a 387 and later.
                return true;
            default:
                return _core.Raise(ExceptionVector.InvalidOpcode);
        }
    }

    /// <summary>
    /// A pending unmasked exception at a waiting instruction. CR0.NE: #MF before the instruction.
    /// Otherwise the PC's legacy path: FERR# raises IRQ 13 through the PIC, and the instruction goes on
    /// (as QEMU does; a real CPU would freeze until the handler's OUT F0h asserted IGNNE#). After that
    /// write the error is ignored until the exception flags are cleared.
    /// </summary>
    private bool SignalPending()
    {
        if ((_core.R.CR0 & ControlRegisters.NumericError) != 0)
        {
            return _core.Raise(MathFaultVector);
        }

        if (!State.IgnoreNumericError)
        {
            State.ErrorPin?.Invoke(true);
        }

        return true;
    }

    /// <summary>FIP/FCS/FOP always, FDP/FDS for a memory operand; linear addresses in real mode (Intel SDM vol. 1, 8.1.8–8.1.9).</summary>
    private void RecordPointers(ref DecodedInstruction d)
    {
        var protectedMode = _core.R.ProtectedMode;
        var cs = _core.Seg[ExecutionCore.Cs];
        var eip = (_core.R.EIP - d.Length) & _core.IpMask;
        State.InstructionOffset = protectedMode ? eip : cs.Base + eip;
        State.InstructionSelector = cs.Selector;
        State.Opcode = ReadOpcode(cs.Base + eip, d.Length);
        if (d.Form0 == OperandForm.Memory)
        {
            var segment = _core.Seg[d.Seg];
            var offset = _core.Offset(ref d);
            State.OperandOffset = protectedMode ? offset : segment.Base + offset;
            State.OperandSelector = segment.Selector;
        }
    }

    /// <summary>FOP: the low three bits of the escape byte and the ModRM byte, read back from the instruction's bytes.</summary>
    private ushort ReadOpcode(uint linear, int length)
    {
        for (var i = 0; i < length - 1; i++)
        {
            if (!_core.Mmu.TryFetchByte(linear + (uint)i, out var value))
            {
                return 0;
            }

            if (value is >= EscapeFirst and <= EscapeLast)
            {
                return _core.Mmu.TryFetchByte(linear + (uint)i + 1, out var modrm)
                    ? (ushort)(((value & EscapeOpcodeBits) << OpcodeHighShift) | modrm)
                    : (ushort)0;
            }
        }

        return 0;
    }

    private bool MoveCondition(Mnemonic mnemonic)
    {
        var flags = _core.R.Flags;
        var carry = (flags & Eflags.Carry) != 0;
        var zero = (flags & Eflags.Zero) != 0;
        var parity = (flags & Eflags.Parity) != 0;
        return mnemonic switch
        {
            Mnemonic.Fcmovb => carry,
            Mnemonic.Fcmove => zero,
            Mnemonic.Fcmovbe => carry || zero,
            Mnemonic.Fcmovu => parity,
            Mnemonic.Fcmovnb => !carry,
            Mnemonic.Fcmovne => !zero,
            Mnemonic.Fcmovnbe => !carry && !zero,
            _ => !parity,
        };
    }

    /// <summary>The FN… forms, which do not check for a pending exception first.</summary>
    private static bool IsNoWait(Mnemonic mnemonic) => mnemonic is Mnemonic.Fninit or Mnemonic.Fnclex or Mnemonic.Fnstsw
        or Mnemonic.Fnstcw or Mnemonic.Fnstenv or Mnemonic.Fnsave or Mnemonic.Fneni or Mnemonic.Fndisi or Mnemonic.Fnsetpm;

    /// <summary>Control instructions leave FIP/FDP/FOP alone (Intel SDM vol. 1, 8.1.8).</summary>
    private static bool IsControl(Mnemonic mnemonic) => mnemonic is Mnemonic.Fninit or Mnemonic.Finit or Mnemonic.Fnclex
        or Mnemonic.Fclex or Mnemonic.Fnstsw or Mnemonic.Fstsw or Mnemonic.Fnstcw or Mnemonic.Fstcw or Mnemonic.Fldcw
        or Mnemonic.Fnstenv or Mnemonic.Fstenv or Mnemonic.Fldenv or Mnemonic.Fnsave or Mnemonic.Fsave or Mnemonic.Frstor
        or Mnemonic.Fincstp or Mnemonic.Fdecstp or Mnemonic.Ffree or Mnemonic.Fnop;
}
