namespace Emulator.Block.Graph;

/// <summary>
/// Writes a new image of one format (<c>img create</c>, the target of <c>img convert</c>); offered by
/// the format's <see cref="IBlockDriverFactory.Creator"/>. Throws <see cref="Backend.BlockOperationException"/>
/// with a clear message for a bad option or a file that cannot be written.
/// </summary>
public interface IImageCreator
{
    /// <summary>The <c>-o</c> option names this format accepts (besides <c>size</c>).</summary>
    IReadOnlyCollection<string> OptionNames { get; }

    /// <summary>Creates the image; opens it through <paramref name="graph"/> when the options ask for work a driver does (preallocation).</summary>
    void Create(ImageCreateRequest request, BlockGraph graph);
}
