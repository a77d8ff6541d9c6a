using System.Text.Json.Nodes;
using Emulator.Monitor.Qmp;

namespace Emulator.Monitor.Commands;

/// <summary>
/// qom-list, qom-get and qom-set over the part of QEMU's object tree this emulator models: the root
/// container and <c>/machine</c> with its <c>type</c> and, on the PC, <c>rtc-time</c> (the RTC's date as a
/// struct tm, read-only: QEMU's property is the mc146818rtc's <c>date</c>). Paths and properties outside
/// it get QEMU's DeviceNotFound and "not found" errors; a property without a setter is "not writable".
/// </summary>
internal static class QomCommands
{
    private sealed record Property(string Name, string Type, Func<JsonNode?> Get, string? Owner = null);

    private sealed record QomObject(string TypeName, IReadOnlyList<Property> Properties);

    public static void Register(QmpCommandTable table, IMachineControl machine)
    {
        table.Add(new QmpCommand("qom-list", [new QmpParameter("path", QmpType.String)], a =>
            new JsonArray([.. Find(machine, a.String("path")).Properties.Select(p => (JsonNode)new JsonObject { ["name"] = p.Name, ["type"] = p.Type })])));
        table.Add(new QmpCommand(
            "qom-get",
            [new QmpParameter("path", QmpType.String), new QmpParameter("property", QmpType.String)],
            a => FindProperty(machine, a.String("path"), a.String("property")).Get()));
        table.Add(new QmpCommand(
            "qom-set",
            [new QmpParameter("path", QmpType.String), new QmpParameter("property", QmpType.String), new QmpParameter("value", QmpType.Any)],
            a =>
            {
                var property = FindProperty(machine, a.String("path"), a.String("property"));

                // No property here has a setter; QEMU names the object that owns it (an alias names its target).
                throw new QmpException($"Property '{property.Owner}.{property.Name}' is not writable");
            }));
    }

    private static string MachineTypeName(IMachineControl machine) =>
        machine.CpuCount == 0 ? "none-machine" : MachineInfoCommands.MachineType + "-machine";

    private static QomObject Find(IMachineControl machine, string path)
    {
        var typeName = MachineTypeName(machine);
        var properties = new List<Property>();
        switch (path.TrimEnd('/'))
        {
            case "":
                properties.Add(new Property("type", "string", () => "container", "container"));
                properties.Add(new Property("machine", $"child<{typeName}>", () => "/machine", "container"));
                return new QomObject("container", properties);
            case "/machine":
                properties.Add(new Property("type", "string", () => typeName, typeName));
                if (machine.RtcTime is not null)
                {
                    properties.Add(new Property("rtc-time", "struct tm", () => Tm(machine.RtcTime!.Value), "mc146818rtc"));
                }

                return new QomObject(typeName, properties);
            default:
                throw new QmpException($"Device '{path}' not found", QmpErrorClass.DeviceNotFound);
        }
    }

    private static Property FindProperty(IMachineControl machine, string path, string name)
    {
        var target = Find(machine, path);
        var property = target.Properties.FirstOrDefault(p => p.Name == name)
            ?? throw new QmpException($"Property '{target.TypeName}.{name}' not found");

        // rtc-time is an alias of the RTC's "date"; QEMU reports the target's name when refusing a write.
        return name == "rtc-time" ? property with { Name = "date" } : property;
    }

    /// <summary>QEMU's struct tm members: years since 1900, months from 0.</summary>
    private static JsonObject Tm(DateTime time) => new()
    {
        ["tm_year"] = time.Year - 1900,
        ["tm_mon"] = time.Month - 1,
        ["tm_mday"] = time.Day,
        ["tm_hour"] = time.Hour,
        ["tm_min"] = time.Minute,
        ["tm_sec"] = time.Second,
    };
}
