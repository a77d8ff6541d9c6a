using System.Text.Json.Nodes;

namespace Emulator.Monitor.Qmp;

/// <summary>
/// The version the monitor announces: the QEMU release whose QMP behaviour it follows (7.2, the
/// one Debian 12 ships and the differential tests compare against), and our package name.
/// </summary>
internal static class QmpVersion
{
    public const int Major = 7;
    public const int Minor = 2;
    public const int Micro = 0;
    public const string Package = "Emulator.Storage";

    // Members in QAPI schema order, as QEMU adds them ("minor" and "micro" share a bucket of its dictionary).
    public static JsonObject ToJson() => new()
    {
        ["qemu"] = new JsonObject { ["major"] = Major, ["minor"] = Minor, ["micro"] = Micro },
        ["package"] = Package,
    };
}
