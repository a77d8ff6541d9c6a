using System.Linq.Expressions;
using Emulator.Machine.Cpu;
using Emulator.Machine.Cpu.Translation;

namespace Emulator.Machine.Tests.Cpu.Translation;

/// <summary>
/// A block loads only the registers its tree uses and writes back only those it may change
/// (docs/translating-cpu.md, "Cheaper chaining, register traffic and paged accesses"); a register the
/// analysis missed as changed would silently keep its old value in the CPU.
/// </summary>
public class RegisterUseTests
{
    private static readonly ParameterExpression[] Registers =
        [.. Enumerable.Range(0, 8).Select(i => Expression.Variable(typeof(uint), "r" + i))];

    [Test]
    public void Of_AssignmentReadAndByRefArgument_ChangedOnlyForWrittenRegisters()
    {
        var statements = new Expression[]
        {
            Expression.Assign(Registers[1], Expression.Add(Registers[2], Expression.Constant(1u))),
            Expression.Call(
                typeof(Alu).GetMethod(nameof(Alu.Add))!,
                Registers[4], Expression.Constant(0u), Expression.Constant(0u), Expression.Constant(4), Registers[3]),
            Expression.PostIncrementAssign(Registers[5]),
        };

        var use = RegisterUse.Of(Registers, statements);

        Assert.Multiple(() =>
        {
            Assert.That(use.Used, Is.EqualTo((1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5)));
            Assert.That(use.Changed, Is.EqualTo((1 << 1) | (1 << 3) | (1 << 5)));
        });
    }

    [Test]
    public void Of_OtherVariablesOnly_NoRegisterUsed()
    {
        var temporary = Expression.Variable(typeof(uint), "t");

        var use = RegisterUse.Of(Registers, [Expression.Assign(temporary, Expression.Constant(7u))]);

        Assert.Multiple(() =>
        {
            Assert.That(use.Used, Is.Zero);
            Assert.That(use.Changed, Is.Zero);
        });
    }
}
