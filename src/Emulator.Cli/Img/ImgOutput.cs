using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Emulator.Cli.Img;

/// <summary>The <c>--output</c> choice and a JSON writer indented like QEMU's (four spaces).</summary>
internal static class ImgOutput
{
    public static bool IsJson(string? output) => output switch
    {
        null or "human" => false,
        "json" => true,
        _ => throw new ImgUsageException("--output must be used with human or json as argument."),
    };

    /// <summary>Writes one JSON document (and a newline) to <paramref name="output"/>.</summary>
    public static void Json(TextWriter output, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, IndentSize = 4, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            write(writer);
        }

        output.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }
}
