namespace Emulator.Testing.Tests.Conformance;

/// <summary>One row of the conformance table: a machine's options and the qtest lines sent to it, in order.</summary>
public sealed record QtestScenario(string Name, string[] Options, string[] Lines)
{
    public override string ToString() => Name;
}
