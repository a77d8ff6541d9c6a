using System.Globalization;

namespace Emulator.Cli.Tests.Fuzz;

/// <summary>
/// The fuzzing campaign of <see cref="MachineFuzzer"/>: a short fixed-seed run for every test run
/// (well under a minute), and a long run on demand
/// (<c>EMU_FUZZ_SECONDS=600 EMU_FUZZ_SEED=7 dotnet test --filter "Category=FuzzLong"</c>) that prints
/// the operations it ran. An escape fails with the seed and step that replay it; each one found
/// becomes a named regression test beside the device's other tests.
/// </summary>
public class MachineFuzzTests
{
    private const int StepsPerSeed = 40_000;
    private static readonly TimeSpan SeedBudget = TimeSpan.FromSeconds(12);

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void FixedSeed_HostileGuestSteps_NoEscapeAndReadOnlyImagesUnchanged(int seed)
    {
        using var fuzzer = new MachineFuzzer(seed);

        fuzzer.Run(StepsPerSeed, DateTime.UtcNow + SeedBudget);
        TestContext.Out.WriteLine($"seed {seed}: {fuzzer.Steps} steps, {fuzzer.BlockRequests} block requests, {fuzzer.WritesVerified} acknowledged writes read back");

        Assert.Multiple(() =>
        {
            Assert.That(fuzzer.Steps, Is.GreaterThan(StepsPerSeed / 10), "the run made progress");
            Assert.That(fuzzer.BlockRequests, Is.Positive, "hostile guest requests reached the block layer");
            Assert.That(fuzzer.WritesVerified, Is.Positive, "well-formed writes amid the hostile steps were acknowledged and read back");
        });
    }

    [Test]
    [Explicit("campaign: minutes of fuzzing")]
    [Category("FuzzLong")]
    public void Long_HostileGuestSteps_NoEscapeAndReadOnlyImagesUnchanged()
    {
        var seconds = int.Parse(Environment.GetEnvironmentVariable("EMU_FUZZ_SECONDS") ?? "600", CultureInfo.InvariantCulture);
        var seed = int.Parse(Environment.GetEnvironmentVariable("EMU_FUZZ_SEED") ?? "1", CultureInfo.InvariantCulture);
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        var total = 0L;
        for (var s = seed; DateTime.UtcNow < deadline; s++)
        {
            using var fuzzer = new MachineFuzzer(s);
            fuzzer.Run(long.MaxValue, deadline < DateTime.UtcNow.AddSeconds(60) ? deadline : DateTime.UtcNow.AddSeconds(60));
            total += fuzzer.Steps;
            TestContext.Out.WriteLine($"seed {s}: {fuzzer.Steps} steps, {fuzzer.BlockRequests} block requests, {fuzzer.WritesVerified} acknowledged writes read back, total {total} steps");
        }

        Assert.That(total, Is.Positive);
    }
}
