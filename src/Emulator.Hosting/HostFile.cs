namespace Emulator.Hosting;

/// <summary>Opens the host files the front ends write (serial, I/O trace, CPU log, qtest log) with one rule for failures.</summary>
internal static class HostFile
{
    /// <summary>
    /// Runs <paramref name="open"/> on <paramref name="path"/> (nothing, and true, when there is no path); false
    /// with the host's reason in <paramref name="problem"/> when the file cannot be created or opened.
    /// </summary>
    public static bool TryOpen<T>(string? path, Func<string, T> open, out T? opened, out string problem)
        where T : class
    {
        opened = null;
        problem = string.Empty;
        if (path is null)
        {
            return true;
        }

        try
        {
            opened = open(path);
            return true;
        }
        catch (IOException e)
        {
            problem = e.Message;
        }
        catch (UnauthorizedAccessException e)
        {
            problem = e.Message;
        }

        return false;
    }
}
