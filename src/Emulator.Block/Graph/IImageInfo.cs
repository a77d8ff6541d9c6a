namespace Emulator.Block.Graph;

/// <summary>A format driver's description of its image for <c>img info</c> (a capability of drivers with one).</summary>
public interface IImageInfo
{
    /// <summary>The image's description as of now (it changes with the image, e.g. the dirty flag).</summary>
    ImageInfo Info { get; }
}
