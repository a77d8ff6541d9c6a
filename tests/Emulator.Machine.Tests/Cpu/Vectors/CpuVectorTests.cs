using System.Globalization;

namespace Emulator.Machine.Tests.Cpu.Vectors;

/// <summary>
/// Conformance run over every file of the SingleStepTests 80286 real-mode vectors, minus the tests the
/// README lists as answered differently by a 386 (differs-on-386.tsv.gz) and revoked hashes.
/// </summary>
[TestFixture]
[Category("CpuVectors")]
public class CpuVectorTests
{
    /// <summary>
    /// Raise as the interpreter improves. The 254 failures left (at 158315/158569) are word string
    /// operations and POP m16 at offset FFFF where the 286 updates SI/DI/SP before its #GP; a 386
    /// faults with the registers untouched, so they are kept as failures rather than matched.
    /// </summary>
    private const double PassFloor = 0.998;

    [Test]
    public void Vectors_AllFiles_PassAtLeastFloor()
    {
        var folder = VectorFolder.Find();
        Assert.That(folder, Is.Not.Null,
            $"CPU vectors not found: set {VectorFolder.EnvironmentVariable} or place shared/cpu-tests/80286/dev beside the repository.");
        var metadata = new VectorMetadata(folder!);
        var runner = new VectorRunner();
        var files = Directory.GetFiles(folder!, "*.json.gz").OrderBy(f => f, StringComparer.Ordinal).ToArray();
        Assert.That(files, Is.Not.Empty, $"No *.json.gz vector files in {folder}.");

        var passed = 0;
        var total = 0;
        foreach (var path in files)
        {
            var file = Path.GetFileName(path)[..^".json.gz".Length];
            var result = runner.RunFile(path, file, metadata);
            passed += result.Passed;
            total += result.Total;
            TestContext.Out.WriteLine($"{file}: {result.Passed}/{result.Total}");
            foreach (var failure in result.Failures)
            {
                TestContext.Out.WriteLine($"    {failure}");
            }
        }

        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cpu vectors: {passed}/{total}"));
        Assert.That((double)passed / total, Is.GreaterThanOrEqualTo(PassFloor));
    }
}
