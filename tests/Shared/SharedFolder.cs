namespace Emulator.TestSupport;

/// <summary>
/// Finds data in the project's <c>shared</c> folder (vectors, guest images), which sits beside the
/// repository: the nearest ancestor of the test assembly's directory that has <c>shared/…</c>.
/// </summary>
internal static class SharedFolder
{
    /// <summary>The full path of <c>shared/<paramref name="relative"/></c>, or null when no ancestor has it.</summary>
    public static string? Find(params string[] relative)
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine([dir.FullName, "shared", .. relative]);
            if (Directory.Exists(candidate) || File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
