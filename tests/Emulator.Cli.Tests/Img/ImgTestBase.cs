using System.Text.Json.Nodes;
using Emulator.Cli.Img;

namespace Emulator.Cli.Tests.Img;

/// <summary>A temp folder per test and a way to run <c>emu img</c> in-process, capturing its output and exit code.</summary>
public abstract class ImgTestBase
{
    protected string Dir { get; private set; } = null!;

    [SetUp]
    public void CreateFolder() => Dir = Directory.CreateTempSubdirectory("emu-img-test-").FullName;

    [TearDown]
    public void DeleteFolder() => Directory.Delete(Dir, recursive: true);

    protected string PathOf(string name) => Path.Combine(Dir, name);

    protected static (int ExitCode, string Output, string Errors) Emu(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = ImgCommand.Run(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    protected static string EmuOk(params string[] args)
    {
        var (exit, output, errors) = Emu(args);
        Assert.That(exit, Is.Zero, $"emu img {string.Join(' ', args)}: {errors}");
        return output;
    }

    protected static JsonNode Json(string text) => JsonNode.Parse(text) ?? throw new InvalidOperationException("empty JSON");

    protected static byte[] Random(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}
