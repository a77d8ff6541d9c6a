namespace Emulator.Block.Graph;

/// <summary>A format driver that can check (and repair) its metadata, as <c>img check</c> asks.</summary>
public interface IImageCheck
{
    /// <summary>Checks the image; repairs what <paramref name="repair"/> allows when the node is writable.</summary>
    ImageCheckResult Check(ImageRepairMode repair);
}
