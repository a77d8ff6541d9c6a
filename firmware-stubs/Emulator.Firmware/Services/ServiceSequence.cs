namespace Emulator.Firmware.Services;

/// <summary>
/// Runs a service written as a sequence across the stub's repeated calls: the first call starts it,
/// each yielded wait goes back to the stub, and the next call resumes where it stopped. A service
/// that waits on hardware is thus ordinary straight-line code.
/// </summary>
internal sealed class ServiceSequence
{
    private IEnumerator<BiosServiceResult>? _current;

    public bool Running => _current is not null;

    public BiosServiceResult Run(Func<IEnumerable<BiosServiceResult>> start)
    {
        _current ??= start().GetEnumerator();
        if (_current.MoveNext())
        {
            return _current.Current;
        }

        Abandon();
        return BiosServiceResult.Done;
    }

    /// <summary>Drops a sequence in progress (the machine was reset under it).</summary>
    public void Abandon()
    {
        _current?.Dispose();
        _current = null;
    }
}
