using System.Linq.Expressions;
using Emulator.Machine.Cpu;
using Emulator.Machine.Cpu.Translation;

namespace Emulator.Machine.Tests.Cpu.Translation;

/// <summary>
/// <see cref="FlagsEmitter"/>'s expressions, compiled alone, against the interpreter's <see cref="Alu"/> and
/// <see cref="IntegerUnit.Neg"/>: for every operation and operand size, every 8-bit operand pair (and
/// edge values plus random pairs for 16 and 32 bits), with CF clear and set, and for several sets of live
/// flags, the result must match, the live flags must be the interpreter's bits and every other flag must
/// keep its old value.
/// </summary>
public class FlagsEmitterTests
{
    private const uint Reserved = 0x2;
    private const int RandomPairs = 20_000;

    private static readonly uint[] LiveSets =
    [
        Eflags.Status, Eflags.Carry, Eflags.Parity, Eflags.Adjust, Eflags.Zero, Eflags.Sign, Eflags.Overflow,
        Eflags.Carry | Eflags.Zero, Eflags.Sign | Eflags.Overflow, Eflags.Zero | Eflags.Sign | Eflags.Overflow, Eflags.Status & ~Eflags.Carry,
    ];

    private static readonly Op[] Operations = [Op.Add, Op.Adc, Op.Sub, Op.Sbb, Op.And, Op.Or, Op.Xor, Op.Inc, Op.Dec, Op.Neg];

    public static IEnumerable<TestCaseData> Cases() =>
        from op in Operations
        from size in new[] { 1, 2, 4 }
        select new TestCaseData(op.ToString(), size).SetName($"{op}_Size{size * 8}_EveryLiveSet_MatchesInterpreter");

    [TestCaseSource(nameof(Cases))]
    public void Operation(string operation, int size)
    {
        var op = Enum.Parse<Op>(operation);
        var pairs = Pairs(size, new Random(18 + size)).ToArray();
        string? mismatch = null;
        foreach (var live in LiveSets)
        {
            var replaced = op is Op.Inc or Op.Dec ? live & ~Eflags.Carry : live;
            var emitted = Compile(op, size, replaced);
            foreach (var (a, b) in pairs)
            {
                foreach (var before in new[] { Reserved, Reserved | Eflags.Status })
                {
                    var expectedFlags = before;
                    var expected = Reference(op, a, b, size, ref expectedFlags);
                    var packed = emitted(a, b, before);
                    var (result, flags) = ((uint)(packed >> 32), (uint)packed);
                    if (mismatch is null && (result != expected || (flags & replaced) != (expectedFlags & replaced) || (flags & ~replaced) != (before & ~replaced)))
                    {
                        mismatch = $"a={a:X} b={b:X} flags before {before:X} live {replaced:X}: result {result:X} (interpreter {expected:X}), flags {flags:X} (interpreter {expectedFlags:X})";
                    }
                }
            }
        }

        Assert.That(mismatch, Is.Null);
    }

    /// <summary>Every 8-bit pair; for wider operands every pair of edge values and random pairs.</summary>
    private static IEnumerable<(uint A, uint B)> Pairs(int size, Random random)
    {
        var mask = Alu.Mask(size);
        if (size == 1)
        {
            for (var a = 0u; a <= mask; a++)
            {
                for (var b = 0u; b <= mask; b++)
                {
                    yield return (a, b);
                }
            }

            yield break;
        }

        var sign = 1u << ((size * 8) - 1);
        uint[] edges = [0, 1, 2, 0xF, 0x10, sign - 1, sign, sign + 1, mask - 1, mask, 0x5555_5555 & mask, 0xAAAA_AAAA & mask];
        foreach (var a in edges)
        {
            foreach (var b in edges)
            {
                yield return (a, b);
            }
        }

        for (var i = 0; i < RandomPairs; i++)
        {
            yield return ((uint)random.NextInt64(0, 1L << 32) & mask, (uint)random.NextInt64(0, 1L << 32) & mask);
        }
    }

    private static uint Reference(Op op, uint a, uint b, int size, ref uint flags) => op switch
    {
        Op.Inc => Alu.IncDec(a, decrement: false, size, ref flags),
        Op.Dec => Alu.IncDec(a, decrement: true, size, ref flags),
        Op.Neg => IntegerUnit.Neg(a, size, ref flags),
        _ => Alu.Binary(op, a, b, size, ref flags),
    };

    /// <summary>(a, b, flags before) → result in the high half, flags in the low half.</summary>
    private static Func<uint, uint, uint, ulong> Compile(Op op, int size, uint replaced)
    {
        var a = Expression.Parameter(typeof(uint), "a");
        var b = Expression.Parameter(typeof(uint), "b");
        var flags = Expression.Parameter(typeof(uint), "flags");
        var result = Expression.Variable(typeof(uint), "result");
        var newFlags = Expression.Variable(typeof(uint), "newFlags");
        var carry = Expression.And(flags, Expression.Constant(Eflags.Carry));
        var one = Expression.Constant(1u);
        var body = op switch
        {
            Op.Add => FlagsEmitter.Add(a, b, null, size, flags, replaced, result, newFlags),
            Op.Adc => FlagsEmitter.Add(a, b, carry, size, flags, replaced, result, newFlags),
            Op.Sub => FlagsEmitter.Subtract(a, b, null, size, flags, replaced, result, newFlags),
            Op.Sbb => FlagsEmitter.Subtract(a, b, carry, size, flags, replaced, result, newFlags),
            Op.And => FlagsEmitter.Logic(Expression.And(a, b), size, flags, replaced, result, newFlags),
            Op.Or => FlagsEmitter.Logic(Expression.Or(a, b), size, flags, replaced, result, newFlags),
            Op.Xor => FlagsEmitter.Logic(Expression.ExclusiveOr(a, b), size, flags, replaced, result, newFlags),
            Op.Inc => FlagsEmitter.Add(a, one, null, size, flags, replaced, result, newFlags),
            Op.Dec => FlagsEmitter.Subtract(a, one, null, size, flags, replaced, result, newFlags),
            _ => FlagsEmitter.Subtract(Expression.Constant(0u), a, null, size, flags, replaced, result, newFlags),
        };
        var packed = Expression.Or(
            Expression.LeftShift(Expression.Convert(result, typeof(ulong)), Expression.Constant(32)),
            Expression.Convert(newFlags, typeof(ulong)));
        return Expression.Lambda<Func<uint, uint, uint, ulong>>(Expression.Block([result, newFlags], body, packed), a, b, flags).Compile();
    }
}
