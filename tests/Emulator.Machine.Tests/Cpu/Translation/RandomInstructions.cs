using Iced.Intel;

namespace Emulator.Machine.Tests.Cpu.Translation;

/// <summary>Random 16-bit-code instructions of one family (8/16/32-bit operands, 16-bit addressing), built as Iced <see cref="Instruction"/>s.</summary>
internal static class RandomInstructions
{
    public static readonly string[] AluOps = ["Add", "Or", "Adc", "Sbb", "And", "Sub", "Xor", "Cmp"];
    public static readonly string[] ShiftOps = ["Rol", "Ror", "Rcl", "Rcr", "Shl", "Shr", "Sar"];
    public static readonly string[] Conditions = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"];

    private static readonly Register[] Byte = [Register.AL, Register.CL, Register.DL, Register.BL, Register.AH, Register.CH, Register.DH, Register.BH];
    private static readonly Register[] Word = [Register.AX, Register.CX, Register.DX, Register.BX, Register.BP, Register.SI, Register.DI];
    private static readonly Register[] Dword = [Register.EAX, Register.ECX, Register.EDX, Register.EBX, Register.EBP, Register.ESI, Register.EDI];
    private static readonly (Register Base, Register Index)[] Addressing =
    [
        (Register.BX, Register.SI), (Register.BX, Register.DI), (Register.BP, Register.SI), (Register.BP, Register.DI),
        (Register.SI, Register.None), (Register.DI, Register.None), (Register.BP, Register.None), (Register.BX, Register.None),
    ];

    public static int Size(Random random) => random.Next(3) switch { 0 => 8, 1 => 16, _ => 32 };

    public static Register Reg(Random random, int size) => size switch
    {
        8 => Byte[random.Next(Byte.Length)],
        16 => Word[random.Next(Word.Length)],
        _ => Dword[random.Next(Dword.Length)],
    };

    public static MemoryOperand Mem(Random random)
    {
        var (b, i) = Addressing[random.Next(Addressing.Length)];
        var displacement = random.Next(2) == 0 ? 0 : random.Next(-128, 128);
        return new MemoryOperand(b, i, 1, displacement, displacement == 0 && b != Register.BP ? 0 : 1);
    }

    public static Code Code(string name) => Enum.Parse<Code>(name);

    public static uint Immediate(Random random, int size) => size switch
    {
        8 => (uint)random.Next(256),
        16 => (uint)random.Next(65536),
        _ => (uint)random.NextInt64(0, 1L << 32),
    };

    public static Instruction AluRegister(Random random)
    {
        var size = Size(random);
        var op = random.Next(AluOps.Length + 1) is var k && k == AluOps.Length ? "Test" : AluOps[k];
        return Instruction.Create(Code($"{op}_rm{size}_r{size}"), Reg(random, size), Reg(random, size));
    }

    public static Instruction AluImmediate(Random random)
    {
        var size = Size(random);
        var op = AluOps[random.Next(AluOps.Length)];
        if (size != 8 && random.Next(2) == 0)
        {
            return Instruction.Create(Code($"{op}_rm{size}_imm8"), Reg(random, size), random.Next(-128, 128));
        }

        return Instruction.Create(Code($"{op}_rm{size}_imm{size}"), Reg(random, size), Immediate(random, size));
    }

    public static Instruction AluMemory(Random random)
    {
        var size = Size(random);
        var op = AluOps[random.Next(AluOps.Length)];
        return random.Next(4) switch
        {
            0 => Instruction.Create(Code($"{op}_r{size}_rm{size}"), Reg(random, size), Mem(random)),
            1 => Instruction.Create(Code($"{op}_rm{size}_r{size}"), Mem(random), Reg(random, size)),
            2 => Instruction.Create(Code($"Test_rm{size}_r{size}"), Mem(random), Reg(random, size)),
            _ => Instruction.Create(Code($"{op}_rm{size}_imm{size}"), Mem(random), Immediate(random, size)),
        };
    }

    public static Instruction Unary(Random random)
    {
        var size = Size(random);
        var op = random.Next(4) switch { 0 => "Inc", 1 => "Dec", 2 => "Not", _ => "Neg" };
        return random.Next(2) == 0
            ? Instruction.Create(Code($"{op}_rm{size}"), Reg(random, size))
            : Instruction.Create(Code($"{op}_rm{size}"), Mem(random));
    }

    public static Instruction Shift(Random random)
    {
        var size = Size(random);
        var op = ShiftOps[random.Next(ShiftOps.Length)];
        return random.Next(3) switch
        {
            0 => Instruction.Create(Code($"{op}_rm{size}_imm8"), Reg(random, size), random.Next(0, 40)),
            1 => Instruction.Create(Code($"{op}_rm{size}_CL"), Reg(random, size), Register.CL),
            _ => Instruction.Create(Code($"{op}_rm{size}_1"), Reg(random, size), 1),
        };
    }

    public static Instruction Move(Random random)
    {
        var size = Size(random);
        return random.Next(8) switch
        {
            0 => Instruction.Create(Code($"Mov_rm{size}_r{size}"), Reg(random, size), Reg(random, size)),
            1 => Instruction.Create(Code($"Mov_rm{size}_r{size}"), Mem(random), Reg(random, size)),
            2 => Instruction.Create(Code($"Mov_r{size}_rm{size}"), Reg(random, size), Mem(random)),
            3 => Instruction.Create(Code($"Mov_r{size}_imm{size}"), Reg(random, size), Immediate(random, size)),
            4 => Instruction.Create(Code($"Mov_rm{size}_imm{size}"), Mem(random), Immediate(random, size)),
            5 => Extend(random),
            6 => Instruction.Create(Iced.Intel.Code.Lea_r16_m, Reg(random, 16), Mem(random)),
            _ => Instruction.Create(Iced.Intel.Code.Lea_r32_m, Reg(random, 32), Mem(random)),
        };
    }

    public static Instruction SetCondition(Random random)
    {
        var code = Code($"Set{Conditions[random.Next(Conditions.Length)]}_rm8");
        return random.Next(2) == 0 ? Instruction.Create(code, Reg(random, 8)) : Instruction.Create(code, Mem(random));
    }

    public static Instruction Stack(Random random)
    {
        return random.Next(6) switch
        {
            0 => Instruction.Create(Iced.Intel.Code.Push_r16, Reg(random, 16)),
            1 => Instruction.Create(Iced.Intel.Code.Push_r32, Reg(random, 32)),
            2 => Instruction.Create(Iced.Intel.Code.Pop_r16, Reg(random, 16)),
            3 => Instruction.Create(Iced.Intel.Code.Pop_r32, Reg(random, 32)),
            4 => Instruction.Create(Iced.Intel.Code.Push_imm16, random.Next(65536)),
            _ => Instruction.Create(Iced.Intel.Code.Pushd_imm8, random.Next(-128, 128)),
        };
    }

    /// <summary>RDTSC (reads the instruction count here), CLC/STC/CMC/CLD/STD, and ALU instructions whose flags they feed or overwrite.</summary>
    public static Instruction FlagsAndTimeStamp(Random random) => random.Next(8) switch
    {
        0 => Instruction.Create(Iced.Intel.Code.Rdtsc),
        1 => Instruction.Create(Iced.Intel.Code.Clc),
        2 => Instruction.Create(Iced.Intel.Code.Stc),
        3 => Instruction.Create(Iced.Intel.Code.Cmc),
        4 => Instruction.Create(random.Next(2) == 0 ? Iced.Intel.Code.Cld : Iced.Intel.Code.Std),
        5 => SetCondition(random),
        _ => AluRegister(random),
    };

    /// <summary>Instructions a block runs through the interpreter's handler: exchanges, CMOVcc, bit tests and scans, multiply/divide, conversions, double shifts, stack frames, memory forms of shifts/PUSH/POP.</summary>
    public static Instruction Interpreted(Random random)
    {
        var size = random.Next(2) == 0 ? 16 : 32;
        var reg = Reg(random, size);
        var memory = random.Next(2) == 0;
        Instruction Rm(string code) => memory ? Instruction.Create(Code(code), Mem(random)) : Instruction.Create(Code(code), Reg(random, size));
        Instruction RmReg(string code) => memory ? Instruction.Create(Code(code), Mem(random), reg) : Instruction.Create(Code(code), Reg(random, size), reg);
        Instruction RegRm(string code) => memory ? Instruction.Create(Code(code), reg, Mem(random)) : Instruction.Create(Code(code), reg, Reg(random, size));
        Instruction RmImm(string code, int value) => memory ? Instruction.Create(Code(code), Mem(random), value) : Instruction.Create(Code(code), Reg(random, size), value);
        Instruction RmRegImm(string code, int value) => memory ? Instruction.Create(Code(code), Mem(random), reg, value) : Instruction.Create(Code(code), Reg(random, size), reg, value);
        return random.Next(22) switch
        {
            0 => Instruction.Create(Code($"Xchg_rm{size}_r{size}"), Reg(random, size), reg),
            1 => Instruction.Create(Code($"Xchg_rm{size}_r{size}"), Mem(random), reg),
            2 => RegRm($"Cmov{Conditions[random.Next(Conditions.Length)]}_r{size}_rm{size}"),
            3 => RmReg($"{BitOps[random.Next(BitOps.Length)]}_rm{size}_r{size}"),
            4 => RmImm($"{BitOps[random.Next(BitOps.Length)]}_rm{size}_imm8", random.Next(256)),
            5 => RegRm($"{(random.Next(2) == 0 ? "Bsf" : "Bsr")}_r{size}_rm{size}"),
            6 => Rm($"{MulOps[random.Next(MulOps.Length)]}_rm{size}"),
            7 => RegRm($"Imul_r{size}_rm{size}"),
            8 => Instruction.Create(Code($"Imul_r{size}_rm{size}_imm8"), reg, Reg(random, size), random.Next(-128, 128)),
            9 => Instruction.Create(random.Next(4) switch { 0 => Iced.Intel.Code.Cbw, 1 => Iced.Intel.Code.Cwde, 2 => Iced.Intel.Code.Cwd, _ => Iced.Intel.Code.Cdq }),
            10 => Instruction.Create(random.Next(2) == 0 ? Iced.Intel.Code.Lahf : Iced.Intel.Code.Sahf),
            11 => RmRegImm($"{(random.Next(2) == 0 ? "Shld" : "Shrd")}_rm{size}_r{size}_imm8", random.Next(40)),
            12 => Instruction.Create(Code($"{(random.Next(2) == 0 ? "Shld" : "Shrd")}_rm{size}_r{size}_CL"), Reg(random, size), reg, Register.CL),
            13 => Instruction.Create(Iced.Intel.Code.Bswap_r32, Reg(random, 32)),
            14 => RmReg($"Xadd_rm{size}_r{size}"),
            15 => RmReg($"Cmpxchg_rm{size}_r{size}"),
            16 => Instruction.Create(random.Next(2) == 0 ? Iced.Intel.Code.Leavew : Iced.Intel.Code.Leaved),
            17 => Instruction.Create(random.Next(3) switch { 0 => Iced.Intel.Code.Pushfw, 1 => Iced.Intel.Code.Pushaw, _ => Iced.Intel.Code.Popaw }),
            18 => Instruction.Create(Code($"{ShiftOps[random.Next(ShiftOps.Length)]}_rm{size}_imm8"), Mem(random), random.Next(0, 40)),
            19 => Instruction.Create(Code($"Push_rm{size}"), Mem(random)),
            20 => Instruction.Create(Code($"Pop_rm{size}"), Mem(random)),
            _ => AluRegister(random),
        };
    }

    /// <summary>Instructions with native emitters (MUL/IMUL, XCHG, CMOVcc, CBW/CWD, BT*, LEAVE, PUSHF) between flag producers and consumers.</summary>
    public static Instruction NativeData(Random random)
    {
        var size = random.Next(2) == 0 ? 16 : 32;
        var reg = Reg(random, size);
        var memory = random.Next(3) == 0;
        Instruction RegRm(string code) => memory ? Instruction.Create(Code(code), reg, Mem(random)) : Instruction.Create(Code(code), reg, Reg(random, size));
        Instruction RmReg(string code) => memory ? Instruction.Create(Code(code), Mem(random), reg) : Instruction.Create(Code(code), Reg(random, size), reg);
        return random.Next(14) switch
        {
            0 => Instruction.Create(Iced.Intel.Code.Xchg_rm8_r8, Reg(random, 8), Reg(random, 8)),
            1 => RmReg($"Xchg_rm{size}_r{size}"),
            2 => RegRm($"Cmov{Conditions[random.Next(Conditions.Length)]}_r{size}_rm{size}"),
            3 => RegRm($"Imul_r{size}_rm{size}"),
            4 => memory
                ? (random.Next(2) == 0
                    ? Instruction.Create(Code($"Imul_r{size}_rm{size}_imm8"), reg, Mem(random), random.Next(-128, 128))
                    : Instruction.Create(Code($"Imul_r{size}_rm{size}_imm{size}"), reg, Mem(random), random.Next(-30000, 30000)))
                : Instruction.Create(Code($"Imul_r{size}_rm{size}_imm8"), reg, Reg(random, size), random.Next(-128, 128)),
            5 => random.Next(3) switch
            {
                0 => Instruction.Create(Code($"{(random.Next(2) == 0 ? "Mul" : "Imul")}_rm8"), Reg(random, 8)),
                1 => Instruction.Create(Code($"{(random.Next(2) == 0 ? "Mul" : "Imul")}_rm8"), Mem(random)),
                _ => memory ? Instruction.Create(Code($"{(random.Next(2) == 0 ? "Mul" : "Imul")}_rm{size}"), Mem(random))
                    : Instruction.Create(Code($"{(random.Next(2) == 0 ? "Mul" : "Imul")}_rm{size}"), Reg(random, size)),
            },
            6 => Instruction.Create(random.Next(4) switch { 0 => Iced.Intel.Code.Cbw, 1 => Iced.Intel.Code.Cwde, 2 => Iced.Intel.Code.Cwd, _ => Iced.Intel.Code.Cdq }),
            7 => RmReg($"{BitOps[random.Next(BitOps.Length)]}_rm{size}_r{size}"),
            8 => memory
                ? Instruction.Create(Code($"{BitOps[random.Next(BitOps.Length)]}_rm{size}_imm8"), Mem(random), random.Next(256))
                : Instruction.Create(Code($"{BitOps[random.Next(BitOps.Length)]}_rm{size}_imm8"), Reg(random, size), random.Next(256)),
            9 => Instruction.Create(random.Next(2) == 0 ? Iced.Intel.Code.Leavew : Iced.Intel.Code.Leaved),
            10 => random.Next(2) == 0 ? SetCondition(random) : Instruction.Create(random.Next(2) == 0 ? Iced.Intel.Code.Pushfw : Iced.Intel.Code.Pushfd),
            11 => Instruction.Create(random.Next(2) == 0 ? Iced.Intel.Code.Stc : Iced.Intel.Code.Cmc),
            _ => AluRegister(random),
        };
    }

    /// <summary>
    /// Instructions with the newer native emitters (DIV/IDIV after a sometimes-cleared high half, XADD, CMPXCHG,
    /// BSF/BSR, BSWAP, SHLD/SHRD, LAHF/SAHF, one-element string instructions with segment overrides and either
    /// direction, PUSH of memory and segment registers) between flag producers and consumers.
    /// </summary>
    public static Instruction NativeArithmetic(Random random)
    {
        var size = Size(random);
        var wide = random.Next(2) == 0 ? 16 : 32;
        var memory = random.Next(3) == 0;
        Instruction Rm(int bits) => memory ? Instruction.Create(Code($"{(random.Next(2) == 0 ? "Div" : "Idiv")}_rm{bits}"), Mem(random))
            : Instruction.Create(Code($"{(random.Next(2) == 0 ? "Div" : "Idiv")}_rm{bits}"), Reg(random, bits));
        Instruction RmReg(string op, int bits) => memory ? Instruction.Create(Code($"{op}_rm{bits}_r{bits}"), Mem(random), Reg(random, bits))
            : Instruction.Create(Code($"{op}_rm{bits}_r{bits}"), Reg(random, bits), Reg(random, bits));
        var address = random.Next(4) == 0 ? 32 : 16;
        var segment = random.Next(3) switch { 0 => Register.None, 1 => Register.ES, _ => Register.SS };
        return random.Next(17) switch
        {
            0 => Rm(size),
            1 => random.Next(3) switch
            {
                0 => Instruction.Create(Iced.Intel.Code.Xor_r32_rm32, Register.EDX, Register.EDX),
                1 => Instruction.Create(Iced.Intel.Code.Mov_r8_imm8, Register.AH, random.Next(4)),
                _ => Instruction.Create(random.Next(2) == 0 ? Iced.Intel.Code.Cwd : Iced.Intel.Code.Cdq),
            },
            2 => RmReg("Xadd", size),
            3 => RmReg("Cmpxchg", size),
            4 => Instruction.Create(Code($"Mov_r{size}_rm{size}"), size == 8 ? Register.AL : size == 16 ? Register.AX : Register.EAX, Reg(random, size)),
            5 => memory ? Instruction.Create(Code($"{(random.Next(2) == 0 ? "Bsf" : "Bsr")}_r{wide}_rm{wide}"), Reg(random, wide), Mem(random))
                : Instruction.Create(Code($"{(random.Next(2) == 0 ? "Bsf" : "Bsr")}_r{wide}_rm{wide}"), Reg(random, wide), Reg(random, wide)),
            6 => Instruction.Create(Iced.Intel.Code.Bswap_r32, Reg(random, 32)),
            7 => memory
                ? Instruction.Create(Code($"{(random.Next(2) == 0 ? "Shld" : "Shrd")}_rm{wide}_r{wide}_imm8"), Mem(random), Reg(random, wide), random.Next(40))
                : Instruction.Create(Code($"{(random.Next(2) == 0 ? "Shld" : "Shrd")}_rm{wide}_r{wide}_imm8"), Reg(random, wide), Reg(random, wide), random.Next(40)),
            8 => memory
                ? Instruction.Create(Code($"{(random.Next(2) == 0 ? "Shld" : "Shrd")}_rm{wide}_r{wide}_CL"), Mem(random), Reg(random, wide), Register.CL)
                : Instruction.Create(Code($"{(random.Next(2) == 0 ? "Shld" : "Shrd")}_rm{wide}_r{wide}_CL"), Reg(random, wide), Reg(random, wide), Register.CL),
            9 => Instruction.Create(random.Next(2) == 0 ? Iced.Intel.Code.Lahf : Iced.Intel.Code.Sahf),
            10 => random.Next(5) switch
            {
                0 => Instruction.CreateMovsb(address, segment),
                1 => Instruction.CreateMovsw(address, segment),
                2 => Instruction.CreateLodsd(address, segment),
                3 => Instruction.CreateLodsb(address, segment),
                _ => Instruction.CreateMovsd(address, segment),
            },
            11 => random.Next(5) switch
            {
                0 => Instruction.CreateStosb(address),
                1 => Instruction.CreateStosd(address),
                2 => Instruction.CreateScasw(address),
                3 => Instruction.CreateCmpsb(address, segment),
                _ => Instruction.CreateCmpsd(address, segment),
            },
            12 => Instruction.Create(random.Next(2) == 0 ? Iced.Intel.Code.Cld : Iced.Intel.Code.Std),
            13 => SetCondition(random),
            14 => random.Next(3) switch
            {
                0 => Instruction.Create(Code($"Push_rm{wide}"), Mem(random)),
                1 => Instruction.Create(wide == 16 ? Iced.Intel.Code.Pushw_ES : Iced.Intel.Code.Pushd_ES, Register.ES),
                _ => wide == 16 ? Instruction.Create(Iced.Intel.Code.Pushw_CS, Register.CS) : Instruction.Create(Iced.Intel.Code.Pushd_SS, Register.SS),
            },
            _ => AluRegister(random),
        };
    }

    /// <summary>String instructions with and without REP/REPE/REPNE (16- and 32-bit addressing), a small CX now and then, CLD/STD.</summary>
    public static Instruction StringOp(Random random)
    {
        var pick = random.Next(10);
        if (pick == 0)
        {
            return Instruction.Create(Iced.Intel.Code.Mov_r16_imm16, Register.CX, random.Next(40));
        }

        if (pick == 1)
        {
            return Instruction.Create(random.Next(2) == 0 ? Iced.Intel.Code.Cld : Iced.Intel.Code.Std);
        }

        var address = random.Next(4) == 0 ? 32 : 16;
        var repeat = random.Next(3) switch { 0 => RepPrefixKind.None, 1 => RepPrefixKind.Repe, _ => RepPrefixKind.Repne };
        var none = Register.None;
        return random.Next(15) switch
        {
            0 => Instruction.CreateMovsb(address, none, repeat),
            1 => Instruction.CreateMovsw(address, none, repeat),
            2 => Instruction.CreateMovsd(address, none, repeat),
            3 => Instruction.CreateStosb(address, repeat),
            4 => Instruction.CreateStosw(address, repeat),
            5 => Instruction.CreateStosd(address, repeat),
            6 => Instruction.CreateLodsb(address, none, repeat),
            7 => Instruction.CreateLodsw(address, none, repeat),
            8 => Instruction.CreateLodsd(address, none, repeat),
            9 => Instruction.CreateCmpsb(address, none, repeat),
            10 => Instruction.CreateCmpsw(address, none, repeat),
            11 => Instruction.CreateCmpsd(address, none, repeat),
            12 => Instruction.CreateScasb(address, repeat),
            13 => Instruction.CreateScasw(address, repeat),
            _ => Instruction.CreateScasd(address, repeat),
        };
    }

    private static readonly string[] BitOps = ["Bt", "Bts", "Btr", "Btc"];
    private static readonly string[] MulOps = ["Mul", "Imul", "Div", "Idiv"];

    private static Instruction Extend(Random random)
    {
        var kind = random.Next(2) == 0 ? "Movzx" : "Movsx";
        return random.Next(4) switch
        {
            0 => Instruction.Create(Code($"{kind}_r16_rm8"), Reg(random, 16), Mem(random)),
            1 => Instruction.Create(Code($"{kind}_r32_rm8"), Reg(random, 32), Reg(random, 8)),
            2 => Instruction.Create(Code($"{kind}_r32_rm16"), Reg(random, 32), Mem(random)),
            _ => Instruction.Create(Code($"{kind}_r16_rm8"), Reg(random, 16), Reg(random, 8)),
        };
    }

    /// <summary>Emits the Jcc named by <paramref name="condition"/> (one of <see cref="Conditions"/>) to <paramref name="target"/>.</summary>
    public static void Jcc(Assembler a, string condition, Label target)
    {
        switch (condition)
        {
            case "o": a.jo(target); break;
            case "no": a.jno(target); break;
            case "b": a.jb(target); break;
            case "ae": a.jae(target); break;
            case "e": a.je(target); break;
            case "ne": a.jne(target); break;
            case "be": a.jbe(target); break;
            case "a": a.ja(target); break;
            case "s": a.js(target); break;
            case "ns": a.jns(target); break;
            case "p": a.jp(target); break;
            case "np": a.jnp(target); break;
            case "l": a.jl(target); break;
            case "ge": a.jge(target); break;
            case "le": a.jle(target); break;
            default: a.jg(target); break;
        }
    }
}
