namespace Emulator.Block.Graph;

/// <summary>A format driver's description of its image for <c>img info</c> (a capability of drivers with one).</summary>
public interface IImageInfo
{
    ImageInfo Info { get; }
}
