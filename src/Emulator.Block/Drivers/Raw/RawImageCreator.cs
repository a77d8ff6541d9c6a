using Emulator.Block.Backend;
using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.Raw;

/// <summary>Creates a raw image: a sparse file of the size (<c>preallocation=off</c>) or one written full of zeroes (<c>full</c>).</summary>
internal sealed class RawImageCreator : IImageCreator
{
    private const int ZeroChunk = 1 << 20;

    public IReadOnlyCollection<string> OptionNames { get; } = ["preallocation"];

    public void Create(ImageCreateRequest request, BlockGraph graph)
    {
        ArgumentNullException.ThrowIfNull(request);
        var preallocation = request.Options.GetValueOrDefault("preallocation") ?? "off";
        if (preallocation is not ("off" or "full"))
        {
            throw new BlockOperationException($"Invalid preallocation mode: '{preallocation}'");
        }

        try
        {
            using var stream = new FileStream(request.Path, FileMode.Create, FileAccess.Write, FileShare.None);
            if (preallocation == "full")
            {
                var zeroes = new byte[ZeroChunk];
                for (var done = 0L; done < request.Size; done += zeroes.Length)
                {
                    stream.Write(zeroes, 0, (int)Math.Min(zeroes.Length, request.Size - done));
                }
            }

            stream.SetLength(request.Size);
        }
        catch (IOException e)
        {
            throw new BlockOperationException($"Could not create '{request.Path}': {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new BlockOperationException($"Could not create '{request.Path}': {e.Message}", e);
        }
    }
}
