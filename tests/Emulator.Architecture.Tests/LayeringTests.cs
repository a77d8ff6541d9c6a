using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Emulator.Architecture.Tests;

/// <summary>
/// DESIGN.md's line devices never cross: Emulator.Devices, Emulator.Firmware and Emulator.Machine
/// may use the block layer's device-facing API (Emulator.Block.Backend, Emulator.Block.Memory) but
/// never name a node- or driver-side type (Emulator.Block.Graph, Emulator.Block.Drivers).
/// The check reads every type reference in the compiled assembly, method bodies included.
/// </summary>
public class LayeringTests
{
    private static readonly string[] ForbiddenNamespaces = ["Emulator.Block.Graph", "Emulator.Block.Drivers"];

    private static List<string> ForbiddenReferences(Assembly assembly)
    {
        using var stream = File.OpenRead(assembly.Location);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var hits = new List<string>();
        foreach (var handle in reader.TypeReferences)
        {
            var type = reader.GetTypeReference(handle);
            var ns = reader.GetString(type.Namespace);
            if (ForbiddenNamespaces.Any(f => ns == f || ns.StartsWith(f + ".", StringComparison.Ordinal)))
            {
                hits.Add($"{ns}.{reader.GetString(type.Name)}");
            }
        }

        return hits;
    }

    [TestCase("Emulator.Board")]
    [TestCase("Emulator.Devices")]
    [TestCase("Emulator.Firmware")]
    [TestCase("Emulator.Machine")]
    public void Assembly_NamesNoNodeOrDriverType(string assemblyName)
    {
        var assembly = Assembly.Load(assemblyName);

        Assert.That(ForbiddenReferences(assembly), Is.Empty);
    }

    [Test]
    public void Scanner_AssemblyThatUsesGraph_IsCaught()
    {
        // The block layer's own tests use node types on purpose: the scanner must see them,
        // or the checks above could never fail.
        var blockTests = Assembly.LoadFrom(Path.Combine(AppContext.BaseDirectory, "Emulator.Block.Tests.dll"));

        Assert.That(ForbiddenReferences(blockTests), Has.Some.StartsWith("Emulator.Block.Graph."));
    }

    [Test]
    public void Board_ReferencesNoFrontEndOrMonitor()
    {
        var references = Assembly.Load("Emulator.Board").GetReferencedAssemblies()
            .Select(r => r.Name!)
            .Where(n => n.StartsWith("Emulator.", StringComparison.Ordinal));

        Assert.That(references, Is.SubsetOf(new[] { "Emulator.Machine", "Emulator.Block", "Emulator.Devices", "Emulator.Firmware" }));
    }

    [TestCase("Emulator.Machine")]
    [TestCase("Emulator.Block")]
    public void Assembly_ReferencesNothingOfOurs(string assemblyName)
    {
        var references = Assembly.Load(assemblyName).GetReferencedAssemblies()
            .Select(r => r.Name!)
            .Where(n => n.StartsWith("Emulator.", StringComparison.Ordinal));

        Assert.That(references, Is.Empty);
    }

    [Test]
    public void Firmware_ReferencesOnlyMachine()
    {
        var references = Assembly.Load("Emulator.Firmware").GetReferencedAssemblies()
            .Select(r => r.Name!)
            .Where(n => n.StartsWith("Emulator.", StringComparison.Ordinal));

        Assert.That(references, Is.SubsetOf(new[] { "Emulator.Machine" }));
    }

    [Test]
    public void Hosting_ReferencesLibrariesNotTheTool()
    {
        var references = Assembly.Load("Emulator.Hosting").GetReferencedAssemblies()
            .Select(r => r.Name!)
            .Where(n => n.StartsWith("Emulator.", StringComparison.Ordinal) || n == "emu");

        Assert.That(references, Is.SubsetOf(new[] { "Emulator.Machine", "Emulator.Block", "Emulator.Devices", "Emulator.Firmware", "Emulator.Board", "Emulator.Monitor" }));
    }

    [Test]
    public void Testing_BuildsOnHostingNotTheTool()
    {
        var references = Assembly.Load("Emulator.Testing").GetReferencedAssemblies()
            .Select(r => r.Name!)
            .Where(n => n.StartsWith("Emulator.", StringComparison.Ordinal) || n == "emu")
            .ToList();

        Assert.Multiple(() =>
        {
            Assert.That(references, Does.Contain("Emulator.Hosting"));
            Assert.That(references, Has.None.EqualTo("emu"));
        });
    }
}
