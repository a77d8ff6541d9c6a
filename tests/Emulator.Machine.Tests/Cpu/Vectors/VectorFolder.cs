using Emulator.TestSupport;
namespace Emulator.Machine.Tests.Cpu.Vectors;

/// <summary>
/// Finds the SingleStepTests 80286 vectors: the folder named by <c>CPU_VECTORS</c>, else
/// <c>shared/cpu-tests/80286/dev</c> in the nearest ancestor of the test assembly that has a
/// <c>shared</c> folder (the repository's sibling in dev and in a fresh clone).
/// </summary>
internal static class VectorFolder
{
    public const string EnvironmentVariable = "CPU_VECTORS";

    private static readonly string[] RelativeDev = ["cpu-tests", "80286", "dev"];

    /// <summary>The dev folder, or null when neither the variable nor the walk finds one.</summary>
    public static string? Find()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return Directory.Exists(fromEnvironment) ? fromEnvironment : null;
        }

        return SharedFolder.Find(RelativeDev);
    }
}
