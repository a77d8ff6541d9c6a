using System.Linq.Expressions;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// Which guest-register locals a block's expression tree reads and which it may change, so the block loads
/// only the registers it uses and writes back only those it may have changed (a short block typically touches
/// two or three of eight; the rest cost a load and a store per entry for nothing). Conservative: a register
/// that appears anywhere counts as used, and one that is the target of an assignment or passed by reference
/// counts as changed.
/// </summary>
internal sealed class RegisterUse : ExpressionVisitor
{
    private readonly ParameterExpression[] _registers;

    private RegisterUse(ParameterExpression[] registers) => _registers = registers;

    /// <summary>Bit i set: register i appears in the tree.</summary>
    public int Used { get; private set; }

    /// <summary>Bit i set: register i may be changed by the tree.</summary>
    public int Changed { get; private set; }

    public static RegisterUse Of(ParameterExpression[] registers, IEnumerable<Expression> statements)
    {
        var use = new RegisterUse(registers);
        foreach (var statement in statements)
        {
            use.Visit(statement);
        }

        return use;
    }

    protected override Expression VisitParameter(ParameterExpression node)
    {
        Used |= Bit(node);
        return node;
    }

    protected override Expression VisitBinary(BinaryExpression node)
    {
        if (node.NodeType is ExpressionType.Assign or ExpressionType.AddAssign or ExpressionType.SubtractAssign
            or ExpressionType.AndAssign or ExpressionType.OrAssign or ExpressionType.ExclusiveOrAssign
            or ExpressionType.LeftShiftAssign or ExpressionType.RightShiftAssign or ExpressionType.MultiplyAssign
            or ExpressionType.AddAssignChecked or ExpressionType.SubtractAssignChecked or ExpressionType.MultiplyAssignChecked
            or ExpressionType.DivideAssign or ExpressionType.ModuloAssign or ExpressionType.PowerAssign)
        {
            Changed |= Target(node.Left);
        }

        return base.VisitBinary(node);
    }

    protected override Expression VisitUnary(UnaryExpression node)
    {
        if (node.NodeType is ExpressionType.PreIncrementAssign or ExpressionType.PreDecrementAssign
            or ExpressionType.PostIncrementAssign or ExpressionType.PostDecrementAssign)
        {
            Changed |= Target(node.Operand);
        }

        return base.VisitUnary(node);
    }

    protected override Expression VisitMethodCall(MethodCallExpression node)
    {
        var parameters = node.Method.GetParameters();
        for (var i = 0; i < parameters.Length; i++)
        {
            if (parameters[i].ParameterType.IsByRef)
            {
                Changed |= Target(node.Arguments[i]);
            }
        }

        return base.VisitMethodCall(node);
    }

    protected override Expression VisitNew(NewExpression node)
    {
        if (node.Constructor is { } constructor)
        {
            var parameters = constructor.GetParameters();
            for (var i = 0; i < parameters.Length; i++)
            {
                if (parameters[i].ParameterType.IsByRef)
                {
                    Changed |= Target(node.Arguments[i]);
                }
            }
        }

        return base.VisitNew(node);
    }

    protected override Expression VisitInvocation(InvocationExpression node)
    {
        // A delegate's by-reference parameters are not worth telling apart: every register passed counts as changed.
        foreach (var argument in node.Arguments)
        {
            Changed |= Target(argument);
        }

        return base.VisitInvocation(node);
    }

    private int Target(Expression expression) => expression is ParameterExpression parameter ? Bit(parameter) : 0;

    private int Bit(ParameterExpression parameter)
    {
        var index = Array.IndexOf(_registers, parameter);
        return index < 0 ? 0 : 1 << index;
    }
}
